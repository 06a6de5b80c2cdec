"""Which agreements are added up together: one agreement, a programme tree, or a pair of states."""

from __future__ import annotations

import pandas as pd

BY = ("agreement", "programme", "pair")


def _link(agreements: pd.DataFrame, column: str) -> dict[str, str]:
    ids = agreements["agreement_id"].astype(str)
    links = agreements[column].astype("string").fillna("")
    return {a: p for a, p in zip(ids, links, strict=True) if p}


def root_of(agreements: pd.DataFrame) -> dict[str, str]:
    """The top of each agreement's tree: followed through its programme, then what it amends,
    replaces or implements (`parent_agreement_id`), until nothing is above it. A tree never mixes
    sending parties: an agreement that runs the other way is the top of its own tree."""
    programme = _link(agreements, "programme_id")
    parent = _link(agreements, "parent_agreement_id")
    send = dict(zip(agreements["agreement_id"].astype(str), agreements["sending_party"].astype(str), strict=True))
    out = {}
    for a in agreements["agreement_id"].astype(str):
        seen, here = {a}, a
        while True:
            up = programme.get(here) or parent.get(here)
            if not up or up in seen or send.get(up) != send[a]:
                break
            seen.add(up)
            here = up
        out[a] = here
    return out


def pair_of(agreements: pd.DataFrame) -> dict[str, tuple[str, str | None]]:
    """(sending, receiving) party of each agreement. A programme without a receiving party takes
    the one its members share, or none when they differ, so its figures are never put on one member."""
    send = dict(zip(agreements["agreement_id"].astype(str), agreements["sending_party"].astype(str), strict=True))
    recv = {
        a: (None if pd.isna(r) else str(r))
        for a, r in zip(agreements["agreement_id"].astype(str), agreements["receiving_party"], strict=True)
    }
    programme = _link(agreements, "programme_id")
    for prog in {p for p in programme.values()} | {a for a, r in recv.items() if r is None}:
        if recv.get(prog) is None:
            shared = {recv[m] for m, p in programme.items() if p == prog}
            recv[prog] = shared.pop() if len(shared) == 1 else None
    return {a: (send[a], recv[a]) for a in send}


def group_keys(agreements: pd.DataFrame, by: str) -> dict[str, object]:
    """The group each agreement is added up in."""
    if by == "agreement":
        return {a: a for a in agreements["agreement_id"].astype(str)}
    if by == "programme":
        return dict(root_of(agreements))
    if by == "pair":
        return dict(pair_of(agreements))
    raise ValueError(f"by must be one of {', '.join(repr(b) for b in BY)}, not {by!r}")


def members_of(agreements: pd.DataFrame) -> dict[str, list[str]]:
    """Each programme's member agreements."""
    out: dict[str, list[str]] = {}
    for member, prog in _link(agreements, "programme_id").items():
        out.setdefault(prog, []).append(member)
    return out
