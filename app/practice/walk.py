"""A scenario as a graph to walk through (the editor's preview): which nodes the start
reaches, which reach an ending, and each option's destination. Plain functions over stored
content (practice/parser.merge_languages), no queries."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NodeReach:
    id: str
    ending: str | None
    reachable: bool  # some path of choices from the start leads here
    leads_to_ending: bool  # from here some path of choices ends the conversation
    steps_from_start: int | None  # fewest choices from the start (None: unreachable)


def reachability(content: dict) -> list[NodeReach]:
    """Every node in file order with whether it is reachable and can end (breadth-first from
    the start, then backwards from the endings: linear in the size of the graph)."""
    nodes = content.get("nodes") or []
    ids = {node["id"] for node in nodes}
    edges = {node["id"]: [o["next"] for o in node.get("options", []) if o.get("next") in ids]
             for node in nodes}
    depth: dict[str, int] = {}
    start = content.get("start")
    if start in ids:
        depth[start] = 0
        frontier = [start]
        while frontier:
            following = []
            for node_id in frontier:
                for target in edges[node_id]:
                    if target not in depth:
                        depth[target] = depth[node_id] + 1
                        following.append(target)
            frontier = following
    comes_from: dict[str, list[str]] = {node_id: [] for node_id in edges}
    for node_id, targets in edges.items():
        for target in targets:
            comes_from[target].append(node_id)
    ends = {node["id"] for node in nodes if node.get("ending")}
    todo = list(ends)
    while todo:
        for source in comes_from[todo.pop()]:
            if source not in ends:
                ends.add(source)
                todo.append(source)
    return [NodeReach(node["id"], node.get("ending"), node["id"] in depth, node["id"] in ends,
                      depth.get(node["id"])) for node in nodes]


def option_totals(node: dict) -> list[int]:
    """Each option's points summed over the dimensions (how good a reply it is overall)."""
    return [sum(v for v in option.get("points", {}).values() if isinstance(v, int))
            for option in node.get("options", [])]
