"""The Python API behind each command: load, validate, read live, plan, apply."""
from __future__ import annotations

import asyncio

from statsync.api.client import ConsoleClient
from statsync.config import Project
from statsync.executor import ApplyOptions, Outcome, execute
from statsync.journal import Journal
from statsync.kinds import all_kinds
from statsync.loader import load_paths
from statsync.plan import LiveObjects, Plan, PlanOptions, build_plan
from statsync.validate import DesiredObject, check_references, desired_objects


def load_desired(project: Project, check_refs: bool = True) -> list[DesiredObject]:
    """Every object in the project's files, validated offline (refs must be in the repo)."""
    objects = desired_objects(load_paths(project.paths))
    if check_refs:
        check_references(objects)
    return objects


async def read_live(client: ConsoleClient) -> LiveObjects:
    """Every live object of every kind statsync manages: one paged list read per kind."""
    kinds = list(all_kinds().values())
    pages = await asyncio.gather(*(client.list(kind.path()) for kind in kinds))
    return {kind.name: {obj["id"]: obj for obj in objects} for kind, objects in zip(kinds, pages)}


def plan_options(project: Project, prune: bool | None = None) -> PlanOptions:
    """Plan settings from statsync.yaml; `prune` (from --prune) switches pruning on."""
    settings = project.prune
    return PlanOptions(
        ignore=tuple(project.ignore),
        prune=bool(prune) or bool(settings.get("enabled")),
        prune_kinds=tuple(settings.get("kinds", ())),
        prune_id_prefix=settings.get("id_prefix", ""),
        prune_tag=settings.get("tag", ""),
        protect=tuple(settings.get("protect", ())),
    )


async def make_plan(project: Project, client: ConsoleClient, target: str, options: PlanOptions | None = None) -> Plan:
    desired = load_desired(project, check_refs=False)
    live = await read_live(client)
    check_references(desired, {kind: set(objects) for kind, objects in live.items()})
    return build_plan(desired, live, target, options or plan_options(project))


async def apply_plan(plan: Plan, client: ConsoleClient, options: ApplyOptions | None = None) -> list[Outcome]:
    return await execute(plan, client, options)


def open_journal(project: Project, target: str) -> Journal:
    return Journal(project.state_dir / "journal", target)
