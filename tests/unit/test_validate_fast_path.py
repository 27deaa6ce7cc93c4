"""validate's fast path (a compiled schema that only says valid or not) never lets through
what jsonschema would refuse, and never changes a message: jsonschema still says every
problem, with its file:line:col."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statsync.kinds import all_kinds
from statsync.loader import load_text
from statsync.schemas import kind_schema
from statsync.validate import FAST_FROM, _fast_validator, _validator, desired_objects
from statsync.errors import InvalidConfig
from tests.strategies import from_schema

JUNK = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                 st.text(max_size=5), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                                          st.integers(), max_size=2))


def documents(kind_name):
    """Documents from the kind's schema, then spoilt at random: a field made junk, an
    unknown key, a field dropped — valid and invalid ones both."""
    schema = kind_schema(kind_name)
    fields = {k: v for k, v in schema["properties"].items() if k not in ("kind", "id")}
    base = from_schema({"type": "object", "properties": fields}).map(
        lambda body: {"kind": kind_name, "id": "generated_id", **body})

    def spoil(doc, how, key, junk):
        doc = dict(doc)
        names = sorted(fields)
        if how == "junk" and names:
            doc[names[key % len(names)]] = junk
        elif how == "unknown":
            doc["notAField"] = junk
        elif how == "drop" and doc:
            doc.pop(sorted(doc)[key % len(doc)], None)
        return doc
    return st.builds(spoil, base, st.sampled_from(["none", "junk", "unknown", "drop"]), st.integers(0, 1000), JUNK)


@pytest.mark.parametrize("kind_name", sorted(all_kinds()))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_the_fast_path_accepts_only_what_jsonschema_accepts(kind_name, data):
    doc = data.draw(documents(kind_name))
    fast = _fast_validator(kind_name)
    try:
        fast(doc)
        accepted = True
    except Exception:
        accepted = False
    errors = list(_validator(kind_name).iter_errors(doc))
    if accepted:
        assert errors == [], f"fast path accepted {doc!r}, jsonschema: {errors[0].message}"


def test_a_problem_reads_the_same_with_many_documents_as_with_one():
    gate = "kind: gate\nid: gate_{n:04}\ndescription: fine\n"
    bad = "kind: gate\nid: bad\nrules:\n  - name: R\n    passPercentage: 150\n    conditions: []\n"
    for count in (1, FAST_FROM + 10):
        text = "---\n".join([gate.format(n=n) for n in range(count)] + [bad])
        with pytest.raises(InvalidConfig) as raised:
            desired_objects(load_text(text, "repo.yaml"))
        [problem] = raised.value.problems
        assert str(problem) == (f"repo.yaml:{4 * count + 5}:21: rules[0].passPercentage: 150 is greater than the "
                                f"maximum of 100")
