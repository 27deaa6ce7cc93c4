"""The Python API behind each command: load, validate, read live, plan, apply."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Callable

from statsync import addresses, bulk
from statsync.api.client import ConsoleClient
from statsync.config import Project
from statsync.executor import ApplyOptions, Outcome, execute
from statsync.idlists import holds_ids
from statsync.journal import Journal
from statsync.kinds import Kind, all_kinds
from statsync.lifecycle import answered_status
from statsync.loader import skipped_files
from statsync.plan import LiveObjects, Plan, PlanOptions, build_plan
from statsync.references import entry_names, in_force, references
from statsync.reviewed import Reviewed, StalePlan, reviewed_subset
from statsync.importer import Unrepresentable
from statsync.validate import DesiredObject, check_references, desired_objects
from statsync.writeback import Written, places, write_back


def load_desired(project: Project, check_refs: bool = True) -> list[DesiredObject]:
    """Every object in the project's files, validated offline (refs must be in the repo)."""
    objects = desired_objects(project.documents())
    if check_refs:
        check_references(objects)
    return objects


@bulk.phase
async def read_live(client: ConsoleClient, kind_names: set[str] | None = None) -> LiveObjects:
    """Live objects of the given kinds (default: every kind): one paged list read per kind."""
    kinds = [kind for name, kind in all_kinds().items() if kind_names is None or name in kind_names]
    pages = await _all(_read_kind(client, kind) for kind in kinds)
    # objects Statsig owns itself (implicit layers, userID) are neither managed nor unmanaged: they are not
    # ours, and a list answering them must not make pruning delete them
    # (read once every page is in: a field naming another object by its address is read as its name)
    return {kind.name: {obj[kind.identity]: _with_status(kind, addresses.read_with_identities(client, kind, obj))
                        for obj in objects
                        if not kind.is_implicit(obj[kind.identity]) and obj[kind.identity] not in kind.builtins}
            for kind, objects in zip(kinds, pages)}


async def _all(awaitables) -> list:
    """asyncio.gather that cancels the rest when one fails: a rejected key ends the run at
    once, instead of leaving sibling reads to fail (and retry, noisily) on a closed client."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _with_status(kind: Kind, obj: dict[str, Any]) -> dict[str, Any]:
    status = answered_status(kind, obj)
    if kind.lifecycle is None or kind.lifecycle.field in obj or status is None:
        return obj
    return {**obj, kind.lifecycle.field: status}


async def _read_kind(client: ConsoleClient, kind: Kind) -> list[dict]:
    if not kind.singleton:
        return addresses.learn(client, kind, await client.list(kind.list_path or kind.path()))
    return [{**(await client.get(kind.path()) or {}), kind.identity: kind.name}]


def kinds_to_read(desired: list[DesiredObject], options: PlanOptions) -> set[str]:
    """The kinds a plan needs: those the repository holds or references, and those pruning
    may delete. A request spent on a kind nobody asked about is a request of the rate limit."""
    needed = {obj.kind.name for obj in desired}
    needed |= referenced_kinds(desired)
    if options.prune:  # a singleton is never pruned: reading it for pruning would be a wasted request
        needed |= {name for name in options.prune_kinds or all_kinds()
                   if not all_kinds()[name].singleton and all_kinds()[name].creatable}
    return needed


def plan_options(project: Project, prune: bool | None = None, only: tuple[str, ...] = ()) -> PlanOptions:
    """Plan settings from statsync.yaml; `prune` (from --prune) switches pruning on; `only`
    (from --only and --kind) selects objects by kind.id pattern."""
    settings = project.prune
    return PlanOptions(
        only=tuple(only),
        ignore=tuple(project.ignore),
        prune=bool(prune) or bool(settings.get("enabled")),
        prune_kinds=tuple(settings.get("kinds", ())),
        prune_id_prefix=settings.get("id_prefix", ""),
        prune_tag=settings.get("tag", ""),
        protect=tuple(settings.get("protect", ())),
    )


async def load_against_live(project: Project, client: ConsoleClient,
                            kinds: Callable[[list[DesiredObject]], set[str]]) -> tuple[list[DesiredObject], LiveObjects]:
    """The repository's objects, and the live objects of `kinds(desired)`; references may
    name an object in either."""
    desired = await asyncio.to_thread(load_desired, project, False)
    wanted = kinds(desired)
    managed = {obj.kind.name for obj in desired}
    lists = {name for name in wanted if all_kinds()[name].singleton and name not in managed}
    live = await read_live(client, wanted - lists)
    names = live_names(desired, live)
    for name in lists:
        # names live objects already use are ones Statsig has: the list is read only for new ones
        used = _names_used(desired, name)
        in_use = _names_in_use(live, name, used)
        if used <= in_use:
            names[name] = in_use
        else:
            live.update(await read_live(client, {name}))
            names.update(live_names(desired, {name: live[name]}))
    check_references(desired, names)
    await read_own_endpoints(client, desired, live)
    return desired, live


def _names_used(objects: list[DesiredObject], target: str) -> set[str]:
    return {ref.target_id for obj in objects for ref in obj.refs if ref.target_kind == target}


def _names_in_use(live: LiveObjects, target: str, wanted: set[str]) -> set[str]:
    """Names of `target` live objects use, read until every `wanted` one is seen (a few
    objects, usually, instead of every reference of every live object)."""
    kinds = all_kinds()
    found: set[str] = set()
    for kind_name, objects in live.items():
        for obj in objects.values():
            found.update(ref.target_id for ref in references(kinds[kind_name], obj) if ref.target_kind == target)
            if wanted <= found:
                return found
    return found


async def read_own_endpoints(client: ConsoleClient, desired: list[DesiredObject], live: LiveObjects) -> None:
    """What list reads never carry, for the objects whose YAML manages it: an id list's
    ids (paged) and overrides (one GET each), put on the live object."""
    targets = []
    for obj in desired:
        current = live.get(obj.kind.name, {}).get(obj.id)
        if current is not None:
            targets.append((obj.kind, current, {name for name in _own_fields(obj.kind) if name in obj.body}))
    await _read_own(client, targets)


async def read_every_own_endpoint(client: ConsoleClient, live: LiveObjects) -> None:
    """The same for every live object (`import --deep`): one request or more per object."""
    kinds = all_kinds()
    await _read_own(client, [(kinds[kind_name], current, set(_own_fields(kinds[kind_name])))
                             for kind_name, objects in live.items() for current in objects.values()])


def _own_fields(kind: Kind) -> list[str]:
    return [*kind.sub_resources, *([kind.id_list.field] if kind.id_list else [])]


async def _read_own(client: ConsoleClient, targets: list[tuple[Kind, dict, set[str]]]) -> None:
    reads, places = [], []
    for kind, current, names in targets:
        path = kind.path(current[kind.identity])
        if kind.id_list and kind.id_list.field in names and holds_ids(kind, current):
            reads.append(client.ids(path + kind.id_list.endpoint))
            places.append((current, kind.id_list.field))
        for name, sub in kind.sub_resources.items():
            if name in names:
                reads.append(client.get(path + sub.endpoint))
                places.append((current, name))
    for (current, name), value in zip(places, await _all(reads)):
        current[name] = value if value is not None else {}


def live_names(desired: list[DesiredObject], live: LiveObjects) -> dict[str, set[str]]:
    """What references may name live: object ids, and a singleton's entries (environment
    names) unless the repository manages the singleton: then its list is the truth."""
    kinds = all_kinds()
    managed = {obj.kind.name for obj in desired}
    names = {}
    for kind_name, objects in live.items():
        kind = kinds[kind_name]
        if not kind.singleton:
            names[kind_name] = set(objects)
        elif kind_name not in managed:
            names[kind_name] = set().union(*(entry_names(kind, obj) for obj in objects.values()))
    return names


async def validate_online(project: Project, client: ConsoleClient) -> list[DesiredObject]:
    """Validation whose references may also name live objects (only referenced kinds are read)."""
    desired, _ = await load_against_live(project, client, referenced_kinds)
    return desired


def referenced_kinds(desired: list[DesiredObject]) -> set[str]:
    """The kinds the repository's references name (a loose one's only where its kind is kept in git)."""
    managed = {obj.kind.name for obj in desired}
    return {ref.target_kind for obj in desired for ref in obj.refs if in_force(ref, managed)}


async def make_plan(project: Project, client: ConsoleClient, target: str, options: PlanOptions | None = None) -> Plan:
    return (await plan_with_live(project, client, target, options))[0]


async def plan_with_live(project: Project, client: ConsoleClient, target: str,
                         options: PlanOptions | None = None) -> tuple[Plan, LiveObjects]:
    """The plan, and the live objects it was made against."""
    options = options or plan_options(project)
    desired, live = await load_against_live(project, client, lambda desired: kinds_to_read(desired, options))
    skipped = skipped_files(project.paths, all_kinds()) if options.prune else []
    spared = {f"{kind}.{object_id}": f"its file {file.path} was skipped ({file.reason})"
              for file in skipped for kind, object_id in file.objects}
    return build_plan(desired, live, target, options, spared), live


async def apply_plan(plan: Plan, client: ConsoleClient, options: ApplyOptions | None = None) -> list[Outcome]:
    return await execute(plan, client, options)


async def verify_applied(project: Project, client: ConsoleClient, target: str, options: PlanOptions,
                         outcomes: list[Outcome]) -> list[str]:
    """After an apply, read the project again (paged, as a plan does) and name every object
    this run wrote that is no longer what the files say: another writer changed it after
    this run's write (a console edit, or an apply from elsewhere). Not overwritten; reported."""
    written = {o.step.object_address for o in outcomes if o.status == "applied" and o.step.requests}
    if not written:
        return []
    after, live = await plan_with_live(project, client, target, options)
    changed: dict[str, set[str]] = {}
    for step in after.steps:
        if step.object_address in written:
            changed.setdefault(step.object_address, set()).update(c.path for c in step.changes)
    lines = []
    for address, paths in sorted(changed.items()):
        kind, object_id = address.split(".", 1)
        current = live.get(kind, {}).get(object_id) or {}
        who = current.get("lastModifierName") or "someone"
        version = f", version {current['version']}" if current.get("version") is not None else ""
        fields = f": {', '.join(sorted(paths))}" if paths else ""
        lines.append(f"{address}: changed by {who} after this apply wrote it{version}{fields}; "
                     f"not overwritten — plan again to see their change")
    return lines


def open_journal(project: Project, target: str) -> Journal:
    return Journal(project.state_dir / "journal", target)


async def reviewed_plan(project: Project, client: ConsoleClient, target: str, saved: Plan,
                        meta: dict[str, Any], options: PlanOptions) -> Reviewed:
    """What apply may do of a saved plan: planned again from the files and live project
    with the operator's `options`, cut to the objects it reviewed, refused where any of
    them differs (see `reviewed`). Pruning is the operator's choice, never the file's: a
    plan made with it needs it again (--prune or statsync.yaml), or deletes could be
    forged into a file that only claims pruning."""
    if meta.get("target") != target:
        raise StalePlan(f"refusing to apply the saved plan; nothing was applied: it was made for target "
                        f"{meta.get('target')!r}, not {target!r}")
    if (meta.get("options") or {}).get("prune") and not options.prune:
        raise StalePlan("refusing to apply the saved plan; nothing was applied: it was made with pruning on; "
                        "pass --prune to apply it (pruning deletes, so it is never taken from the file)")
    derived, live = await plan_with_live(project, client, target, options)
    return reviewed_subset(saved, derived, live)


@dataclass
class Pulled:
    """What `statsync pull` wrote, what it could not, and what stays as it was."""

    written: list[Written] = field(default_factory=list)
    unrepresentable: list[Unrepresentable] = field(default_factory=list)
    not_live: list[str] = field(default_factory=list)  # in the files, not live: left alone
    not_converged: list[str] = field(default_factory=list)  # pulled, yet the files still plan a change


async def pull(project: Project, client: ConsoleClient, target: str, only: tuple[str, ...] = ()) -> Pulled:
    """Accept drift: write the live values of every drifted object into the document that
    holds it, and (unless statsync.yaml says `drift: {unmanaged: ignore}`) objects created
    in the console into new files. Then plan the files again against the same live read:
    every pulled object must be in sync."""
    options = plan_options(project)
    plan, live = await plan_with_live(project, client, target, PlanOptions(ignore=options.ignore))

    def chosen(address: str) -> bool:
        return not only or any(fnmatchcase(address, pattern) for pattern in only)

    missing = {step.object_address for step in plan.steps if step.action == "create"}
    drifted = {step.object_address for step in plan.steps
               if step.action in ("update", "replace") or step.is_lifecycle} - missing
    if project.settings.get("drift", {}).get("unmanaged", "report") == "report":
        drifted |= set(plan.unmanaged)
    kinds = all_kinds()
    objects = []
    for address in sorted(a for a in drifted if chosen(a)):
        kind, object_id = address.split(".", 1)
        objects.append((kinds[kind], live[kind][object_id]))
    written, refused = write_back(objects, places(project.documents()), project.root)
    result = Pulled(written, refused, sorted(a for a in missing if chosen(a)))
    if written:
        pulled = {w.address for w in written}
        again = build_plan(load_desired(project), live, target, PlanOptions(ignore=options.ignore))
        result.not_converged = sorted({step.object_address for step in again.steps} & pulled)
    return result


async def objects_on_target(project: Project, client: ConsoleClient, subjects: set[tuple[str, str]]) -> list:
    """What `statsync test --target` evaluates: the repository's objects over the live
    project's. Objects the files do not hold come from the target — only those a tested
    subject can reach (through conditions, targeting gates, layers, holdouts), and for
    those the id-list members and overrides list reads do not carry."""
    from statsync.compile import COMPILED_KINDS, LiveObject

    desired = await asyncio.to_thread(load_desired, project, False)
    live = await read_live(client, set(COMPILED_KINDS))
    check_references(desired, live_names(desired, live))
    held = {obj.key for obj in desired}
    kinds = all_kinds()
    by_key = {obj.key: (obj.kind, obj.body) for obj in desired}
    for kind_name, objects in live.items():
        for object_id, body in objects.items():
            by_key.setdefault((kind_name, object_id), (kinds[kind_name], body))
    reached, queue = set(), [key for key in subjects if key in by_key]
    while queue:
        key = queue.pop()
        if key in reached or key not in by_key:
            continue
        reached.add(key)
        kind, body = by_key[key]
        queue += [(ref.target_kind, ref.target_id) for ref in references(kind, body)]
    from_live = [key for key in sorted(reached) if key not in held]
    await _read_own(client, [(by_key[key][0], by_key[key][1], set(_own_fields(by_key[key][0]))) for key in from_live])
    # objects whose members grow by themselves (a global holdout takes in every gate and
    # experiment) reach subjects without a reference: they come along whole
    from_live += [key for key, (kind, body) in by_key.items() if key not in held and key not in reached
                  and any(body.get(when) for when in kind.grows.values())]
    return [*desired, *(LiveObject(by_key[key][0], key[1], by_key[key][1]) for key in from_live)]
