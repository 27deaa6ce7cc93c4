"""`statsync test --target`: the repository's changes evaluated over the live project."""
from tests.e2e.served import statsync

KEY = {"STATSIG_CONSOLE_API_KEY": "console-e2e-test-target"}

BRANCH = """
kind: gate
id: partner_beta
description: Launch partners and opted-in beta testers, both segments kept only live.
rules:
  - name: Partners
    passPercentage: 100
    conditions: [{type: passes_segment, targetValue: launch_partners}]
  - name: Beta
    passPercentage: 100
    conditions: [{type: passes_segment, targetValue: beta_testers}]
---
kind: test
id: partner_beta_targeting
subject: gate partner_beta
cases:
  - {name: a launch partner, user: {userID: u1, customIDs: {companyID: globex}}, expect: {pass: true, rule: Partners}}
  - {name: an opted-in company, user: {userID: u2, custom: {beta_opt_in: "true"}, customIDs: {companyID: c9}},
     expect: {pass: true, rule: Beta}}
  - {name: neither, user: {userID: u3, customIDs: {companyID: hooli}}, expect: {pass: false}}
---
kind: test
id: live_employees
subject: gate employees
cases:
  - {user: {userID: u4, email: ada@example.com}, expect: {pass: true, rule: Company email}}
"""


def test_a_branch_is_tested_over_the_live_objects_it_does_not_hold(served, examples, tmp_path):
    assert statsync("apply", str(examples), "--api-url", served.url, "--auto-approve", env=KEY).returncode == 0
    branch = tmp_path / "branch"
    branch.mkdir()
    (branch / "partner_beta.yaml").write_text(BRANCH)
    offline = statsync("test", str(branch))
    assert offline.returncode == 1
    assert "segment 'launch_partners' does not exist in the repository" in offline.stderr
    over_live = statsync("test", str(branch), "--api-url", served.url, env=KEY)
    assert over_live.returncode == 0, over_live.stdout + over_live.stderr
    assert over_live.stdout.startswith("4 passed, 0 failed (2 test(s)).")
    # the live id list was read for the segment a test reaches (list reads carry no members)
    assert "GET /console/v1/segments/launch_partners/id_list" in served.output
    # the branch's own version of a live object wins over the live one
    (branch / "employees.yaml").write_text("kind: gate\nid: employees\nrules: []\n")
    changed = statsync("test", str(branch), "--api-url", served.url, env=KEY)
    assert changed.returncode == 1 and "live_employees / case 1: expected pass: true, got false" in changed.stdout
