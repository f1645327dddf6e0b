"""The bundled examples, and the demo organisation made of them (``socialinvest demo load``)."""

from __future__ import annotations

from pathlib import Path

from socialinvest.bundled import examples_dir
from socialinvest.errors import InputError, msg

DEMO_ORGANISATION = "Demo kommune"


def example_files() -> list[Path]:
    """Every bundled example case file (YAML), in name order: top level, then contracts."""
    root = examples_dir()
    if root is None:
        return []
    found = sorted(root.glob("*.yaml")) + sorted((root / "contracts").glob("*.yaml"))
    return [p for p in found if p.is_file()]


def load_demo(
    url: str,
    root: Path | None = None,
    *,
    owner: str | None = None,
    organisation: str = DEMO_ORGANISATION,
) -> tuple[int, int, list[str]]:
    """Add every bundled example that runs from its text alone to ``organisation`` as a case
    owned by ``owner`` (default: its first admin or analyst); (added, already there, names of
    the examples left out because they need files beside them)."""
    from sqlalchemy import select

    from socialinvest.service import load_text, validate
    from socialinvest.store import cases as case_store
    from socialinvest.store import users as user_store
    from socialinvest.store.db import make_engine, session_factory, upgrade
    from socialinvest.store.models import Case, CaseVersion, Role

    files = (
        sorted(root.glob("*.yaml")) + sorted((root / "contracts").glob("*.yaml"))
        if root
        else example_files()
    )
    if not files:
        raise InputError(
            msg("cc_e_examples_dir"),
            field="examples",
            has_value=False,
        )
    upgrade(url)
    engine = make_engine(url)
    added = skipped = 0
    needs_files: list[str] = []
    try:
        with session_factory(engine)() as db:
            org = user_store.organisation(db, organisation, create=True)
            if owner is not None:
                user = user_store.by_username(db, owner)
                if user is None or user.organisation_id != org.id:
                    raise InputError(
                        msg("cc_e_user_of_org", organisation=organisation),
                        field="--owner",
                        value=owner,
                    )
            else:
                candidates = [
                    u
                    for u in user_store.members(db, org.id)
                    if u.role in (Role.admin, Role.analyst)
                ]
                if not candidates:
                    db.commit()
                    raise InputError(
                        "",
                        field="--owner",
                        statement=msg("cc_e_demo_owner", organisation=organisation),
                    )
                user = candidates[0]
            have = set(
                db.scalars(
                    select(CaseVersion.digest)
                    .join(Case, Case.id == CaseVersion.case_id)
                    .where(Case.organisation_id == org.id)
                )
            )
            for path in files:
                text = path.read_text(encoding="utf-8")
                if case_store.digest(text) in have:
                    skipped += 1
                    continue
                try:  # the whole check: the stored text alone must run in the web
                    loaded = validate(load_text(text, path.name))
                except InputError:
                    needs_files.append(path.name)  # e.g. local prices in a folder beside it
                    continue
                tags = ["demo"] + (["contract"] if path.parent.name == "contracts" else [])
                case_store.create_case(
                    db, user, loaded.case.name, text, f"example {path.name}", tags=tags
                )
                added += 1
    finally:
        engine.dispose()
    return added, skipped, needs_files
