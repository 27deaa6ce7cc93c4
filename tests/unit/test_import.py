"""Import writes what plans back to zero changes, and reports what it cannot represent."""
import itertools
import json
import math

import json5
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statsync.config import load_project
from statsync.importer import default_kinds, write_all
from statsync.kinds import all_kinds
from statsync.normalize import canonical
from statsync.schemas import kind_schema
from statsync.validate import desired_objects
from statsync.loader import load_paths
from statsync.workflow import apply_plan, make_plan, read_live
from tests.conftest import EXAMPLE_CREATES, OFFICIAL_SPEC, client_for, run
from tests.strategies import DOCUMENTED_OPERATORS, from_schema


def live_of(emulator):
    async def go():
        async with client_for(emulator) as client:
            return await read_live(client, default_kinds())  # what `statsync import` reads
    return run(go())


def body_strategy(kind_name):
    """Bodies from the kind's schema — the spec's create/update DTOs, as statsync models them."""
    schema = kind_schema(kind_name)
    kind = all_kinds()[kind_name]
    # overrides live at an endpoint of their own, not in the object's body
    fields = {k: v for k, v in schema["properties"].items()
              if k not in ("kind", "id", "statsync", *kind.sub_resources)}
    # JSON5 twins are text that must parse; the JSON twins stand for them here
    fields = {k: v for k, v in fields.items() if k not in kind.json5_twins.values()}
    strategy = from_schema({"type": "object", "properties": fields})
    if kind_name == "experiment":
        sizes = st.sampled_from([[100], [50, 50], [34, 33, 33], [25.5, 74.5]])
        groups = sizes.flatmap(lambda split: st.tuples(*[
            st.fixed_dictionaries({"name": st.just(f"Group {i}"), "size": st.just(size),
                                   "parameterValues": st.dictionaries(st.text(min_size=1, max_size=5),
                                                                      st.integers() | st.text(max_size=5), max_size=2)},
                                  optional={"description": st.text(max_size=10), "disabled": st.booleans()})
            for i, size in enumerate(split)]).map(list))
        strategy = st.tuples(strategy, groups).map(lambda pair: {**pair[0], "groups": pair[1]})
    if kind_name in ("gate", "dynamic_config"):
        # rules are matched by name, so a project's rule names are unique per object (see the
        # dedicated test for what import says when they are not)
        strategy = strategy.map(lambda body: {**body, "rules": _unique_names(body.get("rules"))}
                                if body.get("rules") else body)
    return strategy


def _unique_names(rules):
    return [{**{k: v for k, v in rule.items() if k != "returnValueJson5"}, "name": f"{rule.get('name', '')} #{i}",
             "conditions": [_documented_operator(condition)
                                                                           for condition in rule["conditions"]]}
            for i, rule in enumerate(rules)]


def _documented_operator(condition):
    """Live rules carry operators that fit their type: pick one, varied by the generated text."""
    condition = dict(condition)
    if condition["type"] in ("public", "passes_gate", "fails_gate", "passes_segment", "fails_segment"):
        condition.pop("operator", None)
    else:
        choices = DOCUMENTED_OPERATORS.get(condition["type"], ("any", "none"))
        condition["operator"] = choices[len(str(condition.get("operator"))) % len(choices)]
    return condition


COUNTER = itertools.count()


def _json_object(text) -> bool:
    try:
        return isinstance(json5.loads(text), dict)
    except (ValueError, TypeError):
        return False


def test_generated_live_objects_import_and_plan_back_to_zero_changes(emulator, tmp_path):
    """≥ 500 live objects across every kind, created through the emulator's create endpoints."""
    created = {"gate": 0, "dynamic_config": 0, "experiment": 0}

    # The emulator refuses about half the generated experiments as Statsig would (a status
    # other than setup/active, an unknown layer or control group): 200 examples made 98–101,
    # on the edge of the 100 asked for below, so 260 are drawn.
    @settings(max_examples=260, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(gate=body_strategy("gate"), config=body_strategy("dynamic_config"), experiment=body_strategy("experiment"))
    def create(gate, config, experiment):
        for kind_name, body in (("gate", gate), ("dynamic_config", config), ("experiment", experiment)):
            kind = all_kinds()[kind_name]
            body = {**body, "id": f"{kind_name[:3]}_{next(COUNTER):05}"}
            body.setdefault("name", body["id"])  # as statsync sends it: configs and experiments require a name
            body.pop("targetingGateID", None)  # references need a real gate; covered by the examples test
            body.pop("releasePipelineID", None)  # …and a real pipeline (tests/unit/test_release_pipelines.py)
            if not all(_json_object(body[twin]) for twin in ("schema", "schemaJson5") if body.get(twin)):
                body.pop("schema", None), body.pop("schemaJson5", None)  # a schema is an object (validate says so)
            for rule in body.get("rules") or []:
                rule["conditions"] = [c for c in rule["conditions"] if c.get("type") not in ("passes_gate", "fails_gate")]

            async def post():
                async with client_for(emulator) as client:
                    return await client.request("POST", kind.path(), body)
            try:
                run(post())
            except Exception as exc:  # the emulator rejects what Statsig would (e.g. a taken name)
                assert "400" in str(exc), exc
                continue
            created[kind_name] += 1

    create()
    assert sum(created.values()) >= 500 and all(count >= 100 for count in created.values()), created
    assert_imports_back(emulator, tmp_path, created)


def test_yaml_apply_import_gives_back_the_same_data(emulator, examples, tmp_path):
    project = load_project((str(examples),))

    async def go():
        async with client_for(emulator) as client:
            await apply_plan(await make_plan(project, client, "t"), client)
    run(go())
    result = write_all(live_of(emulator), tmp_path / "imported", target="t")
    assert result.not_round_tripping == [] and len(result.written) == EXAMPLE_CREATES  # all but the environment list
    def readable(o):  # what Statsig never returns (a target app's description) cannot come back, and import
        # reads lists only: overrides (one GET per object) stay unmanaged until written by hand
        # an omitted idType is the project's default unit type (userID on the emulator), which
        # import writes out: it cannot know that a file meant "whatever the project says"
        form = canonical(o.kind, o.id, o.body)
        if "idType" in o.kind.fields:
            form.setdefault("idType", "userID")
        return {k: v for k, v in form.items() if k not in o.kind.write_only and k not in o.kind.sub_resources}
    original = {o.key: readable(o) for o in desired_objects(load_paths([examples])) if o.kind.name in default_kinds()}
    imported = {o.key: readable(o) for o in desired_objects(load_paths([tmp_path / "imported"]))}
    assert imported == original
    text = (tmp_path / "imported" / "gates" / "new_checkout.yaml").read_text()
    # the editor comment first (`statsync schema --out imported/schemas` writes what it names)
    assert text.startswith("# yaml-language-server: $schema=../schemas/gate.json\n"
                           "kind: gate\nid: new_checkout\nname: New checkout\ndescription: ")
    assert "  - {type: country, operator: any, targetValue: [CA, MX]}\n" in text
    assert "baseID" not in text and "version:" not in text and "lastModifier" not in text


@pytest.mark.skipif(not OFFICIAL_SPEC.exists(), reason="the official spec is not beside this checkout")
def test_the_specs_example_objects_import_with_zero_diff(emulator, tmp_path):
    spec = json.loads(OFFICIAL_SPEC.read_text())
    loaded = 0
    for collection in ("gates", "dynamic_configs", "experiments"):
        response = spec["paths"][f"/console/v1/{collection}"]["get"]["responses"]["200"]["content"]["application/json"]
        for obj in (response.get("example") or response["schema"]["example"])["data"]:
            emulator.store.put(collection, obj)
            loaded += 1
    assert loaded >= 4
    result = write_all(live_of(emulator), tmp_path / "imported", target="t")
    assert result.unrepresentable == [] and result.not_round_tripping == []
    assert len(result.written) == loaded
    # the second experiment example is archived and uses a metric tag: both are kept
    archived = (tmp_path / "imported" / "experiments" / "b_experiment.yaml").read_text()
    assert "status: archived\n" in archived and "secondaryMetricTags: [★ Core]\n" in archived


def test_importing_2000_objects_reads_each_kind_in_pages_of_100(emulator, tmp_path):
    counts = {"gates": 1200, "dynamic_configs": 500, "experiments": 300}
    for collection, count in counts.items():
        for i in range(count):
            emulator.console_create(collection, {"id": f"{collection[:3]}_{i:04}", "name": f"{collection[:3]}_{i:04}"})
    emulator.log.clear()
    result = write_all(live_of(emulator), tmp_path / "imported", target="t")
    assert len(result.written) == 2000
    lists = [r.path for r in emulator.log if r.method == "GET"]
    for collection, count in counts.items():
        assert lists.count(f"/console/v1/{collection}") == math.ceil(count / 100)
    # Statsig lists each experiment's implicit layer with the layers: as many pages again
    assert lists.count("/console/v1/layers") == math.ceil(counts["experiments"] / 100)
    # + one page for each other kind (tags, segments, holdouts, roles…; not the singletons, not keys)
    others = [kind for kind in all_kinds().values()
              if kind.name in default_kinds() and kind.collection.strip("/") not in (*counts, "layers")]
    assert "/console/v1/keys" not in lists
    # (a list path's own query, metrics' showHiddenMetrics=true, is not part of the logged path)
    assert len(others) >= 6 and all(lists.count(f"/console/v1{(kind.list_path or kind.collection).split('?')[0]}") == 1
                                    for kind in others)
    assert len(lists) == sum(math.ceil(c / 100) for c in counts.values()) + 3 + len(others)
    assert not (tmp_path / "imported" / "layers").exists()  # implicit layers are Statsig's, never imported


def test_existing_files_are_left_alone_or_kept_unless_overwrite(emulator, tmp_path):
    emulator.console_create("gates", {"id": "keep_gate", "description": "live text"})
    out = tmp_path / "imported"
    first = write_all(live_of(emulator), out, target="t")
    assert [p.name for p in first.written] == ["keep_gate.yaml"]
    again = write_all(live_of(emulator), out, target="t")
    assert again.written == [] and [p.name for p in again.unchanged] == ["keep_gate.yaml"]
    path = out / "gates" / "keep_gate.yaml"
    path.write_text(path.read_text().replace("live text", "my local edit"))
    kept = write_all(live_of(emulator), out, target="t")
    assert [p.name for p in kept.kept] == ["keep_gate.yaml"] and "my local edit" in path.read_text()
    forced = write_all(live_of(emulator), out, target="t", overwrite=True)
    assert [p.name for p in forced.written] == ["keep_gate.yaml"] and "live text" in path.read_text()


def test_what_cannot_be_represented_is_reported_and_lenient_writes_it_with_a_comment(emulator, tmp_path):
    emulator.console_create("experiments", {"name": "running exp"})
    emulator.store.get("experiments", "running_exp")["status"] = "assignment_stopped"
    # a field Statsig may add tomorrow (manualQualityScores, which this test used, is managed now)
    emulator.store.get("experiments", "running_exp")["analysisNotes"] = "from the future"
    # Statsig refuses duplicate rule names (EVIDENCE.md finding 11); a server that answers
    # them anyway must not make import write a file that loses a rule
    emulator.console_create("gates", {"id": "twin_rules", "rules": [
        {"name": "Same", "passPercentage": 1, "conditions": []}, {"name": "Other", "passPercentage": 2, "conditions": []}]})
    emulator.store.get("gates", "twin_rules")["rules"][1]["name"] = "Same"
    strict = write_all(live_of(emulator), tmp_path / "strict", target="t")
    reported = sorted(str(p) for p in strict.unrepresentable)
    assert reported == [
        "experiment.running_exp: analysisNotes: no such field in statsync's schema",
        "experiment.running_exp: status: 'assignment_stopped' is not modelled by statsync yet",
        "gate.twin_rules: rules: two rules are named 'Same'; statsync matches rules by name, so they must be unique",
    ]
    assert sorted(strict.skipped) == ["experiment.running_exp", "gate.twin_rules"] and strict.written == []
    lenient = write_all(live_of(emulator), tmp_path / "lenient", target="t", kinds=("experiment",), lenient=True)
    text = (tmp_path / "lenient" / "experiments" / "running_exp.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../schemas/experiment.json\n"
                           "# statsync: not represented here: analysisNotes (no such field in statsync's schema)\n"
                           "# statsync: not represented here: status ('assignment_stopped' is not modelled by "
                           "statsync yet)\n")
    assert lenient.not_round_tripping == []


def test_filters_by_kind_id_and_tag(emulator, tmp_path):
    emulator.console_create("gates", {"id": "checkout_a", "tags": ["team-x"]})
    emulator.console_create("gates", {"id": "checkout_b"})
    emulator.console_create("dynamic_configs", {"name": "checkout_c", "tags": ["team-x"]})
    live = live_of(emulator)
    names = lambda result: sorted(p.stem for p in result.written)
    assert names(write_all(live, tmp_path / "1", kinds=("gate",), target="t")) == ["checkout_a", "checkout_b"]
    assert names(write_all(live, tmp_path / "2", id_glob="*_b", target="t")) == ["checkout_b"]
    assert names(write_all(live, tmp_path / "3", tag="team-x", target="t")) == ["checkout_a", "checkout_c"]


def test_generated_layers_and_holdouts_import_and_plan_back_to_zero_changes(emulator, tmp_path):
    """Layers and holdouts take two requests to create (the create DTO, then a PATCH of what
    only an update takes), as statsync sends them; then they import and re-plan to zero."""
    from statsync import spec
    emulator.console_create("gates", {"id": "member_gate"})
    created = {"layer": 0, "holdout": 0}

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(layer=body_strategy("layer"), holdout=body_strategy("holdout"))
    def create(layer, holdout):
        for kind_name, body in (("layer", layer), ("holdout", holdout)):
            kind = all_kinds()[kind_name]
            object_id = f"{kind_name[:3]}_{next(COUNTER):05}"
            creatable = spec.component(kind.create_dto)["properties"]
            # the id is the name: the test's, not a generated one (the schema allows `name` equal to `id`)
            body = {k: v for k, v in body.items() if k != "name"}
            first = {"name": object_id, "idType": "userID", **{k: v for k, v in body.items() if k in creatable}}
            rest = {k: v for k, v in body.items() if k not in creatable}
            if kind_name == "holdout":  # members must exist and share its unit ID type
                rest.update(gateIDs=["member_gate"], experimentIDs=[], layerIDs=[])
                rest.pop("targetingGateID", None)
                first["idType"] = "userID"
            if kind_name == "layer":  # parameter names are unique: they are matched by name
                rest["parameters"] = list({p["name"]: p for p in rest.get("parameters") or []}.values())

            async def post():
                async with client_for(emulator) as client:
                    await client.request("POST", kind.path(), first)
                    if rest:
                        await client.request("PATCH", kind.path(object_id), rest)
            try:
                run(post())
            except Exception as exc:  # the emulator rejects what Statsig would
                assert "400" in str(exc), exc
                continue
            created[kind_name] += 1

    create()
    assert all(count >= 40 for count in created.values()), created
    assert_imports_back(emulator, tmp_path, created, kinds=("layer", "holdout"))


def assert_imports_back(emulator, tmp_path, created, kinds=()):
    """Every created object is written, representable, and re-plans to no changes."""
    result = write_all(live_of(emulator), tmp_path / "imported", kinds=kinds, target="t")
    assert result.unrepresentable == [] and result.skipped == []
    assert len(result.written) == sum(created.values())
    assert result.not_round_tripping == []


def test_a_deep_import_brings_overrides_and_id_lists_and_round_trips(emulator, examples, tmp_path):
    from statsync.workflow import read_every_own_endpoint
    project = load_project((str(examples),))

    async def go():
        async with client_for(emulator) as client:
            await apply_plan(await make_plan(project, client, "t"), client)
            live = await read_live(client, default_kinds())
            await read_every_own_endpoint(client, live)
            return live
    live = run(go())
    result = write_all(live, tmp_path / "imported", target="t")
    assert result.not_round_tripping == [] and len(result.written) == EXAMPLE_CREATES
    imported = tmp_path / "imported"
    assert (imported / "segments" / "launch_partners.ids.txt").read_text().split() == [
        "acme-corp", "globex", "initech", "umbrella-labs"]
    assert "idsFile: launch_partners.ids.txt\n" in (imported / "segments" / "launch_partners.yaml").read_text()
    original = {o.key: canonical(o.kind, o.id, o.body) for o in desired_objects(load_paths([examples]))
                if o.kind.name in default_kinds()}
    back = {o.key: canonical(o.kind, o.id, o.body) for o in desired_objects(load_paths([imported]))}
    assert back[("gate", "new_checkout")]["overrides"] == original[("gate", "new_checkout")]["overrides"]
    assert back[("layer", "checkout_layer")]["overrides"] == original[("layer", "checkout_layer")]["overrides"]
    assert "overrides" not in back[("gate", "employees")]  # none set: nothing written
    # a second deep import finds every file, the ids file included, unchanged
    again = write_all(live, imported, target="t")
    assert again.written == [] and len(again.unchanged) == EXAMPLE_CREATES


def test_statsync_schema_writes_the_schemas_import_points_at(tmp_path):
    import json

    from click.testing import CliRunner

    from statsync.cli import main
    from tests.conftest import REPO

    result = CliRunner().invoke(main, ["schema", "--out", str(tmp_path / "schemas")])
    # a schema per kind, the test file's and statsync.yaml's
    assert result.exit_code == 0 and f"Wrote {len(all_kinds()) + 2} schemas" in result.output
    for shipped in (REPO / "schemas").glob("*.json"):  # the same as the repository's, from the installed package
        assert json.loads((tmp_path / "schemas" / shipped.name).read_text()) == json.loads(shipped.read_text())


TWO_GATES = """# kept together on purpose
kind: gate
id: alpha
description: First.
---
kind: gate
id: beta
description: Second.
"""


def test_import_updates_an_object_where_it_already_lives_never_a_second_copy(emulator, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "gates.yaml").write_text(TWO_GATES)
    project = load_project((str(repo),))

    async def go():
        async with client_for(emulator) as client:
            await apply_plan(await make_plan(project, client, "t"), client)
    run(go())
    emulator.console_edit("gates", "beta", {"description": "Second, edited live."})
    live = live_of(emulator)
    kept = write_all(live, repo, target="t")  # without --overwrite: the differing document is kept
    assert kept.kept == [repo / "gates.yaml"] and kept.written == [] and not (repo / "gates").exists()
    assert (repo / "gates.yaml").read_text() == TWO_GATES
    result = write_all(live, repo, target="t", overwrite=True)
    assert result.written == [repo / "gates.yaml"] and result.not_round_tripping == []
    text = (repo / "gates.yaml").read_text()
    assert not (repo / "gates").exists() and text.count("id: beta") == 1
    assert text.startswith(TWO_GATES[:TWO_GATES.index("---")]) and "Second, edited live." in text


def test_pull_refuses_what_it_cannot_represent_and_leaves_the_file(emulator, tmp_path):
    from statsync.workflow import pull

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "gates.yaml").write_text(TWO_GATES)
    project = load_project((str(repo),))

    async def go(action):
        async with client_for(emulator) as client:
            if action == "apply":
                return await apply_plan(await make_plan(project, client, "t"), client)
            return await pull(project, client, "t")
    run(go("apply"))
    emulator.console_edit("gates", "alpha", {"description": "Edited live."})
    emulator.store.get("gates", "alpha")["aNewStatsigField"] = {"set": "in the console"}  # a field statsync lacks
    result = run(go("pull"))
    assert [str(p) for p in result.unrepresentable] == [
        "gate.alpha: aNewStatsigField: no such field in statsync's schema"]
    assert result.written == [] and (repo / "gates.yaml").read_text() == TWO_GATES


def test_an_ids_file_named_outside_its_directory_is_never_written_there(tmp_path):
    """A repository file is untrusted: its idsFile may point anywhere; import and pull write
    an id list only beside the document."""
    from statsync.kinds import all_kinds
    from statsync.writeback import pulled_document

    kind = all_kinds()["segment"]
    live = {"id": "partners", "type": "id_list", "idType": "userID", "ids": ["a", "b"]}
    for hostile in ("../../outside.txt", "/etc/passwd", ".hidden", "sub/dir.txt"):
        doc, _, extra = pulled_document(kind, live, {"kind": "segment", "id": "partners", "idsFile": hostile})
        assert list(extra) == [doc["idsFile"]] and "/" not in doc["idsFile"] and not doc["idsFile"].startswith(".")
    doc, _, extra = pulled_document(kind, live, {"kind": "segment", "id": "partners", "idsFile": "partners.txt"})
    assert list(extra) == ["partners.txt"] and extra["partners.txt"] == "a\nb\n"
