"""Mermaid diagrams of the flows, generated from their step data (so they cannot drift).

`python -m bot diagrams` rewrites docs/flows/<flow>.mmd; a test checks they are current.
"""

from __future__ import annotations

from pathlib import Path

from bot.wizard.steps import Choice, Confirm, Flow, Media, Phone, Post, Story, Text

DOCS = Path(__file__).resolve().parents[2] / "docs" / "flows"


def _node(step) -> str:
    kind = {
        Choice: "buttons",
        Text: "text",
        Phone: "phone or contact",
        Confirm: "summary",
        Media: "files, then done",
        Post: "formatted text or photo",
        Story: "texts and files, then done",
    }[type(step)]
    if isinstance(step, Text) and step.media:
        kind += " or " + "/".join(sorted(step.media))
    label = f"{step.key}<br/><i>{kind}</i>"
    return f'{step.key}{{"{label}"}}' if isinstance(step, Choice) else f'{step.key}["{label}"]'


def mermaid(flow: Flow) -> str:
    """The flow as a Mermaid flowchart: steps in order, stops, confirm/edit, back and cancel."""
    lines = ["flowchart TD", f"    start([/{flow.name}]) --> {flow.steps[0].key}"]
    lines += [f"    {_node(step)}" for step in flow.steps]
    for step, following in zip(flow.steps, flow.steps[1:], strict=False):
        condition = f"|{following.key} applies|" if following.when else ""
        lines.append(f"    {step.key} -->{condition} {following.key}")
        if isinstance(step, Choice):
            lines += [
                f"    {step.key} -->|{value}| stop_{step.key}_{value}([end: nothing stored])"
                for value in sorted(step.stop)
            ]
    last = flow.steps[-1]
    if isinstance(last, Choice):
        lines += [
            f"    {last.key} -->|{value}| stop_{last.key}_{value}([end: nothing changed])"
            for value in sorted(last.stop)
        ]
    lines.append(f"    {last.key} -->|{'confirm' if isinstance(last, Confirm) else 'answer'}| done([saved])")
    if isinstance(last, Confirm):
        lines += [f"    {last.key} -.->|edit| {step.key}" for step in flow.steps if step.label]
    lines.append("    any((any step)) -->|Back| previous[previous step]")
    lines.append("    any -->|Cancel or /cancel| cancelled([cancelled: draft deleted])")
    lines.append("    any -->|other command| paused([draft kept, Continue button])")
    return "\n".join(lines) + "\n"


def write_all(flows: list[Flow], folder: Path = DOCS) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for flow in flows:
        (folder / f"{flow.name}.mmd").write_text(mermaid(flow), encoding="utf-8")
