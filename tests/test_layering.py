"""The layering rules of CONTRIBUTING.md, checked on the source: what may import what, and what the core may name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "invgen"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any level (``from a import b`` counts ``a.b`` when that is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


CORE_MODULES = {module_name(path): path for path in CORE.rglob("*.py")}


def core_imports(name: str) -> set[str]:
    return {target for target in imported_modules(CORE_MODULES[name]) if target in CORE_MODULES and target != name}


def test_the_core_has_no_import_circle():
    graph = {name: core_imports(name) for name in CORE_MODULES}
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in graph[name]:
            if state.get(target) == "open":
                pytest.fail("import circle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target, [*path, target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


# The wings, bottom to top (CONTRIBUTING.md): a module imports its own wing and the wings below it, never one
# above. ``invgen`` (its __init__ imports nothing eagerly) and ``invgen.errors`` are the floor; the faces
# (api, plugin, __main__) sit on top.
WINGS = ("invgen", "invgen.errors", "invgen.runtime", "invgen.io", "invgen.align", "invgen.registry", "invgen.problem",
         "invgen.solvers", "invgen.render", "invgen.evaluation", "invgen.run", "invgen.serve", "invgen.cli",
         "invgen.testing", "invgen.api", "invgen.plugin", "invgen.__main__")
TOP_LEVEL = {"__init__", "__main__", "api", "plugin", "errors"}


def wing_of(module: str) -> int:
    matches = [index for index, wing in enumerate(WINGS) if module == wing or module.startswith(wing + ".")]
    return max(matches)


def test_every_core_module_sits_in_a_wing_and_the_top_level_holds_only_the_faces():
    assert {path.stem for path in CORE.glob("*.py")} <= TOP_LEVEL
    assert len(list(CORE.glob("*.py"))) <= 6
    for folder in sorted(p for p in CORE.iterdir() if p.is_dir() and p.name != "__pycache__"):
        assert f"invgen.{folder.name}" in WINGS, folder
        init = folder / "__init__.py"
        assert init.is_file() and ast.get_docstring(ast.parse(init.read_text())), f"{folder.name} has no docstring"


def test_no_module_imports_a_wing_above_its_own():
    upward = []
    for name in CORE_MODULES:
        if name == "invgen.testing.cli":  # runs the command for tests: the CLI is its subject
            continue
        for target in core_imports(name):
            if wing_of(target) > wing_of(name):
                upward.append(f"{name} -> {target}")
    assert not upward, "upward imports: " + "; ".join(sorted(upward))


def test_interfaces_know_no_registry_and_metrics_no_plugin_manager():
    """Two rules inside the problem wing: components are plain classes (the registry attaches a SpecRecord),
    and extra metrics are passed in."""
    assert not core_imports("invgen.problem.interfaces") & {"invgen.registry.table", "invgen.registry.manager"}
    assert not core_imports("invgen.problem.metrics") & {"invgen.registry.table", "invgen.registry.manager"}


def test_only_the_cli_imports_the_cli():
    for name, path in CORE_MODULES.items():
        if not name.startswith("invgen.cli") and name not in ("invgen.__main__", "invgen.testing.cli"):
            assert not {t for t in imported_modules(path) if t.startswith("invgen.cli")}, name


def test_the_evaluation_harness_calls_no_solver_directly():
    for name, path in CORE_MODULES.items():
        if name.startswith("invgen.evaluation"):
            names = {t.rsplit(".", 1)[-1] for t in imported_modules(path)}
            assert not names & {"solve_map", "solve_vi", "Objective"}, name


def test_the_page_runs_jobs_as_invgen_run_does_and_alone_imports_gradio():
    for name, path in CORE_MODULES.items():
        imports = imported_modules(path)
        if name.startswith("invgen.serve"):
            names = {t.rsplit(".", 1)[-1] for t in imports}
            assert not names & {"solve", "solve_map", "solve_vi", "Objective", "reconstruct"}, name
        if name != "invgen.serve.page":
            assert not {t for t in imports if t == "gradio" or t.startswith("gradio.")}, name


def test_in_repo_plugins_import_only_the_public_plugin_api():
    sources = sorted(ROOT.glob("plugins/*/src/**/*.py"))
    assert len(sources) > 20
    for path in sources:
        used = {t for t in imported_modules(path) if t == "invgen" or t.startswith("invgen.")}
        assert used <= {"invgen.plugin"} | {f"invgen.plugin.{n}" for n in _plugin_api()}, (path, used)


def _plugin_api() -> list[str]:
    import invgen.plugin

    return invgen.plugin.__all__


PLUGIN_API = ["Convolution", "ForwardModel", "Generator", "IMAGE_SUFFIXES", "Identity", "InputError", "LatentStats",
              "Loss", "OutputExists", "Param", "Prior", "Shape", "SpecError", "SpeedNotes", "UsageError", "UserError",
              "WeightsError", "build_generator", "data_home", "fast_paths", "grid_png", "hookimpl", "kept_memory",
              "load_array", "load_image", "open_picture", "plain_paths", "png_bytes", "quote_value", "reported_errors",
              "resolve_device", "resolve_weights", "save_image", "write_atomic"]


def test_every_name_of_the_plugin_api_resolves_and_the_api_changes_only_on_purpose():
    import invgen.plugin

    assert sorted(invgen.plugin.__all__) == sorted(PLUGIN_API)
    for name in invgen.plugin.__all__:
        assert getattr(invgen.plugin, name) is not None, name


PLUGIN_PACKAGES = {path.name for path in ROOT.glob("plugins/*/src/*") if (path / "__init__.py").is_file()}


def test_the_cores_tests_use_only_the_core_the_toy_and_the_fake_plugin():
    """Outside tests/system (the product as a user runs it), no core test imports a plugin or runs a
    plugin's generator: the plugins' own tests cover their parts."""
    assert {"invgen_stylegan2", "invgen_losses", "invgen_kornia", "invgen_mri"} <= PLUGIN_PACKAGES
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if "system" in path.relative_to(ROOT / "tests").parts or path.name == "test_layering.py":
            continue
        imports = {t.split(".")[0] for t in imported_modules(path)}
        generators = {text for text in _code_strings(path) if text.startswith("stylegan2")}
        if imports & PLUGIN_PACKAGES or generators:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(imports & PLUGIN_PACKAGES | generators)}")
    assert not offenders, offenders


def test_every_core_module_is_named_in_contributings_map():
    """CONTRIBUTING.md's layout block names each module of the core under its wing."""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    block = text[text.index("invgen/               the core"):text.index("plugins/invgen-stylegan2")]
    named, wing = set(), ""
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip())
        words = [word.strip(",():") for word in line.split()]
        if indent == 2:  # a wing ("run/  ...") or a top-level module
            wing = words[0].rstrip("/") if words[0].endswith("/") else ""
        named.update(f"{wing}/{word}" if wing else word for word in words if word.endswith(".py"))
    modules = {str(path.relative_to(CORE)) for path in CORE.rglob("*.py")
               if path.name != "__init__.py" or path.parent == CORE}
    assert sorted(modules - named) == []


GENERIC_WORDS = {
    "mask",  # the core's own word for known pixels (ForwardModel.mask), also a plugin's model name
    "kspace",  # the dataset's name in fastMRI's HDF5 files (io/kspace_files.py), also a plugin's model name
}


def test_the_core_names_no_plugin_component():
    """No string in the core's code (docstrings aside) is the name or a spec of something a plugin registers."""
    from invgen.registry.manager import new_manager

    registry = new_manager().registry
    names = {name for kind in registry.components.values() for name, info in kind.items()
             if info.plugin != "invgen.builtins"}
    for table in (registry.presets, registry.tasks, registry.methods, registry.ablations, registry.metrics,
                  registry.weights, registry.datasets, registry.examples):
        names |= {name for name, record in table.items() if record.plugin != "invgen.builtins"}
    assert {"downsample", "center-mask", "lpips", "brgm", "sr4"} <= names  # the in-repo plugins are installed
    names -= GENERIC_WORDS
    for path in CORE.rglob("*.py"):
        for text in _code_strings(path):
            spec_name = text.split(":", 1)[0].strip()
            assert text not in names and not (":" in text and spec_name in names), (path, text)


def _code_strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]
