/* Winograd F(4x4, 3x3) tile transforms for invgen_stylegan2.winograd: one pass over memory each.
 *
 * winograd_input_tiles:   channels-last x [n, H, W, C] -> tiles [n * ceil(H/4) * ceil(W/4), 36, C],
 *                         tile (b, ty, tx) = B^T d B of the 6x6 patch at rows 4ty-1.., columns 4tx-1..
 *                         (zero outside the image: the convolution's padding of 1).
 * winograd_output_blocks: products [tiles, 36, C] -> channels-last y [n, H, W, C], each tile's
 *                         A^T m A written to its 4x4 block (cut at the image's edge).
 * Tiles and products are float32; x and y are float32, or bfloat16 when their flag is 1 (read exactly,
 * written rounded to nearest even as PyTorch rounds, NaN as 0x7FC0), so that a bfloat16 step
 * convolves in float32 with no cast passes of its own.
 *
 * Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks" (2016), interpolation points
 * 0, 1, -1, 2, -2 and infinity; the same matrices as winograd.py's _BT and _AT. Channels go 16 at a
 * time in GCC vector types (one AVX-512 register, or two AVX2 ones); C must be a multiple of 16.
 * Tiles are shared among OpenMP threads: built with -fopenmp and loaded after PyTorch, this is
 * PyTorch's own runtime and thread pool (native.py). Returns 0, or -1 for a channel count it cannot take.
 */
#include <omp.h>
#include <stdint.h>
#include <string.h>

#define VEC 16
typedef float vec __attribute__((vector_size(VEC * sizeof(float))));

typedef uint16_t halves __attribute__((vector_size(VEC * sizeof(uint16_t))));
typedef uint32_t words __attribute__((vector_size(VEC * sizeof(uint32_t))));

static inline vec load(const float *p) { vec v; memcpy(&v, p, sizeof v); return v; }
static inline void store(float *p, vec v) { memcpy(p, &v, sizeof v); }

static inline vec load_bf16(const uint16_t *p) {
    halves h;
    memcpy(&h, p, sizeof h);
    const words w = __builtin_convertvector(h, words) << 16;
    vec v;
    memcpy(&v, &w, sizeof v);
    return v;
}

static inline void store_bf16(uint16_t *p, vec v) {
    words w;
    memcpy(&w, &v, sizeof w);
    const words nan = (words)((w & 0x7FFFFFFFu) > 0x7F800000u); /* all ones where v is NaN */
    const words rounded = (w + 0x7FFFu + ((w >> 16) & 1u)) >> 16;
    const halves h = __builtin_convertvector((rounded & ~nan) | (0x7FC0u & nan), halves);
    memcpy(p, &h, sizeof h);
}

/* Element i of a float32 (bf16 = 0) or bfloat16 (bf16 = 1) array, 16 at a time. */
static inline vec load_any(const void *p, int64_t i, int bf16) {
    return bf16 ? load_bf16((const uint16_t *)p + i) : load((const float *)p + i);
}

static inline void store_any(void *p, int64_t i, vec v, int bf16) {
    if (bf16) store_bf16((uint16_t *)p + i, v); else store((float *)p + i, v);
}

/* r = B^T d for one line of 6 points. */
static inline void input_line(const vec d[6], vec r[6]) {
    r[0] = 4 * d[0] - 5 * d[2] + d[4];
    r[1] = -4 * d[1] - 4 * d[2] + d[3] + d[4];
    r[2] = 4 * d[1] - 4 * d[2] - d[3] + d[4];
    r[3] = -2 * d[1] - d[2] + 2 * d[3] + d[4];
    r[4] = 2 * d[1] - d[2] - 2 * d[3] + d[4];
    r[5] = 4 * d[1] - 5 * d[3] + d[5];
}

/* r = A^T m for one line of 6 points (4 results). */
static inline void output_line(const vec m[6], vec r[4]) {
    r[0] = m[0] + m[1] + m[2] + m[3] + m[4];
    r[1] = m[1] - m[2] + 2 * (m[3] - m[4]);
    r[2] = m[1] + m[2] + 4 * (m[3] + m[4]);
    r[3] = m[1] - m[2] + 8 * (m[3] - m[4]) + m[5];
}

typedef struct {
    int64_t height, width, channels, tiles_h, tiles_w;
} Shape;

static Shape shape_of(int64_t height, int64_t width, int64_t channels) {
    return (Shape){height, width, channels, (height + 3) / 4, (width + 3) / 4};
}

static inline __attribute__((always_inline)) void input_tile(const void *x, float *out, const Shape s,
                                                              int64_t tile, int bf16) {
    const int64_t b = tile / (s.tiles_h * s.tiles_w), ty = tile / s.tiles_w % s.tiles_h, tx = tile % s.tiles_w;
    const int64_t C = s.channels;
    const vec zero = {0};
    out += tile * 36 * C;
    for (int64_t c = 0; c < C; c += VEC) {
        vec columns[6][6]; /* columns[j] = B^T (column j of the patch) */
        for (int j = 0; j < 6; j++) {
            const int64_t col = 4 * tx - 1 + j;
            vec d[6];
            for (int i = 0; i < 6; i++) {
                const int64_t row = 4 * ty - 1 + i;
                const int inside = row >= 0 && row < s.height && col >= 0 && col < s.width;
                d[i] = inside ? load_any(x, ((b * s.height + row) * s.width + col) * C + c, bf16) : zero;
            }
            input_line(d, columns[j]);
        }
        for (int i = 0; i < 6; i++) {
            vec d[6], r[6];
            for (int j = 0; j < 6; j++) d[j] = columns[j][i];
            input_line(d, r);
            for (int j = 0; j < 6; j++) store(out + (i * 6 + j) * C + c, r[j]);
        }
    }
}

static inline __attribute__((always_inline)) void output_tile(const float *products, void *y, const Shape s,
                                                               int64_t tile, int bf16) {
    const int64_t b = tile / (s.tiles_h * s.tiles_w), ty = tile / s.tiles_w % s.tiles_h, tx = tile % s.tiles_w;
    const int64_t C = s.channels;
    const float *m = products + tile * 36 * C;
    for (int64_t c = 0; c < C; c += VEC) {
        vec columns[6][4]; /* columns[j] = A^T (column j of the tile) */
        for (int j = 0; j < 6; j++) {
            vec d[6];
            for (int i = 0; i < 6; i++) d[i] = load(m + (i * 6 + j) * C + c);
            output_line(d, columns[j]);
        }
        for (int r = 0; r < 4 && 4 * ty + r < s.height; r++) {
            vec d[6], block[4];
            for (int j = 0; j < 6; j++) d[j] = columns[j][r];
            output_line(d, block);
            for (int k = 0; k < 4 && 4 * tx + k < s.width; k++)
                store_any(y, ((b * s.height + 4 * ty + r) * s.width + 4 * tx + k) * C + c, block[k], bf16);
        }
    }
}

/* Each tile function specialised for float32 and bfloat16 activations (the flag a constant inside). */
typedef void (*TileFunction)(const void *src, void *dst, const Shape s, int64_t tile);
static void input_f32(const void *x, void *t, const Shape s, int64_t tile) { input_tile(x, t, s, tile, 0); }
static void input_bf16(const void *x, void *t, const Shape s, int64_t tile) { input_tile(x, t, s, tile, 1); }
static void output_f32(const void *p, void *y, const Shape s, int64_t tile) { output_tile(p, y, s, tile, 0); }
static void output_bf16(const void *p, void *y, const Shape s, int64_t tile) { output_tile(p, y, s, tile, 1); }

static int every_tile(TileFunction function, const void *src, void *dst, int64_t batch, int64_t height,
                      int64_t width, int64_t channels, int threads) {
    if (channels <= 0 || channels % VEC) return -1;
    const Shape s = shape_of(height, width, channels);
    const int64_t count = batch * s.tiles_h * s.tiles_w;
    #pragma omp parallel for num_threads(threads > 0 ? threads : 1) schedule(static)
    for (int64_t tile = 0; tile < count; tile++) function(src, dst, s, tile);
    return 0;
}

int winograd_input_tiles(const void *x, float *tiles, int64_t batch, int64_t height, int64_t width,
                         int64_t channels, int threads, int x_bf16) {
    return every_tile(x_bf16 ? input_bf16 : input_f32, x, tiles, batch, height, width, channels, threads);
}

int winograd_output_blocks(const float *products, void *y, int64_t batch, int64_t height, int64_t width,
                           int64_t channels, int threads, int y_bf16) {
    return every_tile(y_bf16 ? output_bf16 : output_f32, products, y, batch, height, width, channels, threads);
}
