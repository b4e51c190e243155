"""``invgen index merge``: join the shards' index files of a many-input run into index.csv and index.jsonl."""

from __future__ import annotations

from pathlib import Path

import typer

from invgen.runtime.reporting import reported_errors

index_app = typer.Typer(help="The index of a many-input run.", no_args_is_help=True)


@index_app.command("merge")
def merge(output: Path = typer.Argument(..., help="The --output folder of an invgen run over many inputs.")) -> None:
    """Write index.csv and index.jsonl once every input has a row (in any shard's file, or a complete folder), and
    each volume whose slices are all done."""
    from invgen.run.store import RunStore
    from invgen.run.volumes import write_volumes
    from invgen.errors import FAILURE

    with reported_errors():
        store = RunStore(output)
        items = store.saved_inputs()
        if store.merge_index(items):
            typer.echo(f"wrote {output / 'index.csv'} and {output / 'index.jsonl'} ({len(items)} inputs)")
            for folder in write_volumes(store, items):
                typer.echo(f"wrote the volume {folder}/")
            return
        missing = [item for item in items if item.name not in store.rows() and not store.is_complete(item.name)]
        typer.echo(f"invgen: {len(missing)} of {len(items)} inputs have no result yet (first: {missing[0].path}); "
                   "finish them with invgen run --resume", err=True)
        raise typer.Exit(FAILURE)
