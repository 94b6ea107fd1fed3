"""What the apps' `zoo serve` tab tests share: a tab built in a page, with runs and without."""

from pathlib import Path

import gradio as gr


def built_tab(tab, run: str) -> tuple[gr.Blocks, set[str]]:
    """``tab`` built for ``run`` (and a second, missing run) and again with no runs; the page and its element
    ids, checked to be unique (a browser test finds each component by its id)."""
    with gr.Blocks() as page:
        with gr.Tab("x"):
            tab([Path(run), Path(run).parent / "other"])
        with gr.Tab("y"):
            tab([])
    named = [b.elem_id for b in page.blocks.values() if getattr(b, "elem_id", None)]
    assert len(named) == len(set(named)), named
    return page, set(named)
