"""statsync's command line: parses, prints and sets exit codes; the work is in workflow."""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click

from statsync import __version__, bulk
from statsync.config import load_project
from statsync.errors import InvalidConfig, StatsyncError
from statsync.kinds import all_kinds
from statsync.render import json_safe, printable
from statsync.explain import EXPLAINABLE

if TYPE_CHECKING:
    import asyncio

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    """click.echo for what a person reads: text from the live project or the files (a name,
    an error message) shows its control characters as escapes; only the colour codes
    statsync's renderers wrote pass (statsync/render/__init__.py)."""
    click.echo(printable(message, styled=True), err=err, nl=nl)


def echo_json(text: str, nl: bool = True) -> None:
    """JSON output: the same document to a parser, nothing a terminal acts on."""
    click.echo(json_safe(text), nl=nl)


def _run(coroutine):
    # asyncio is imported by the commands that talk to a target: `validate` (what pre-commit and
    # editors run) starts ~50 ms sooner without it
    import asyncio

    return asyncio.run(coroutine)


def render_plan(*args, **kwargs) -> str:
    # the text renderer brings the planner and deepdiff with it: imported by the commands that plan
    from statsync.render.text import render_plan as render

    return render(*args, **kwargs)


def use_color(stream=None) -> bool:
    """Colour on a terminal; never with --no-color or a non-empty NO_COLOR (no-color.org);
    always with a non-empty FORCE_COLOR (force-color.org) otherwise."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or _NO_COLOR_FLAG in sys.argv:
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


_NO_COLOR_FLAG = "--no-color"


class StatsyncGroup(click.Group):
    """Exit codes keep their meaning: a usage error is 1 (2 means "changes" under
    --detailed-exitcode), and a closed stdout (`| head`) ends quietly."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        with bulk.one_command():
            return self._main(*args, **kwargs)

    def _main(self, *args, **kwargs):
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_ERROR)
        except click.exceptions.Abort:
            echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # the reader went away: nothing more can be said on stdout; don't let Python complain at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_ERROR)

    def parse_args(self, ctx, args):
        # --no-color and -v/--verbose/--debug are accepted anywhere on the line (before `--`);
        # use_color reads --no-color from argv, verbose() reads the context
        end = args.index("--") if "--" in args else len(args)
        ctx.meta[_VERBOSE] = any(a in _VERBOSE_FLAGS for a in args[:end])
        kept = [a for i, a in enumerate(args) if i >= end or (a != _NO_COLOR_FLAG and a not in _VERBOSE_FLAGS)]
        return super().parse_args(ctx, kept)


_VERBOSE, _VERBOSE_FLAGS = "statsync.verbose", ("-v", "--verbose", "--debug")


def verbose() -> bool:
    """-v/--verbose/--debug: every HTTP request on stderr (never the key), and what was passed over."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get(_VERBOSE))


def fail(message: str) -> None:
    for line in str(message).splitlines() or ["error"]:
        echo(f"error: {line}", err=True)


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """User-caused failures print one line each and exit 1 — never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InvalidConfig as exc:
            for problem in exc.problems:
                echo(str(problem), err=True)
            count = len(exc.problems)
            echo(f"{count} problem{'s' if count != 1 else ''} found.", err=True)
            _annotate(exc.problems)
            sys.exit(EXIT_ERROR)
        except StatsyncError as exc:
            fail(str(exc))
            sys.exit(EXIT_ERROR)
        except OSError as exc:  # a file statsync had to read or write: which, and why
            where = exc.filename or "a file"
            fail(f"{where}: {exc.strerror or exc}")
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
    return wrapper


def _duration(text: str) -> float:
    """'90s', '30m', '2h' or plain seconds → seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        value = float(text[:-1]) * units[text[-1]] if text and text[-1] in units else float(text)
    except ValueError:
        value = -1
    if value <= 0:
        raise click.BadParameter(f"{text!r} is not a duration like 90s, 30m or 2h", param_hint="--deadline")
    return value


def _annotate(problems, level: str = "error") -> None:
    """In GitHub Actions, each problem also as an annotation (`level`: error or warning) on
    its file and line."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return
    for problem in problems:
        message = (f"{problem.path}: " if problem.path else "") + problem.message
        # workflow-command escaping: %, CR and LF in the message; also , and : in properties
        message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        if problem.mark is None:
            echo(f"::{level}::{message}")
            continue
        where = str(problem.mark.file).replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
        echo(f"::{level} file={where},line={problem.mark.line},col={problem.mark.column}::{message}")


paths_argument = click.argument("paths", nargs=-1, type=click.Path())
config_option = click.option("--config", "config", type=click.Path(dir_okay=False),
                             help="Project settings file (default: statsync.yaml in the first PATH directory, "
                                  "or in the current directory).")
def _note(message: str) -> None:
    """Retries and waits, on stderr: a slow API is never silence."""
    echo(f"note: {message}", err=True)


def _trace(message: str) -> None:
    """One line per HTTP request under -v (the client redacts the key before it gets here)."""
    echo(f"http: {message}", err=True)


def with_target(help_target: str = "Named target from statsync.yaml, or `local` for the embedded emulator.",
                help_url: str = "Console API base URL, instead of a target (default: STATSIG_API_URL, else "
                                 "https://statsigapi.net). The key is read from STATSIG_CONSOLE_API_KEY."):
    """--target, --api-url, --timeout and --allow-host, handed to the command as one
    `connection` (see targets.Connection)."""
    def decorate(command):
        @functools.wraps(command)
        def wrapper(*args, target, api_url, timeout, allow_hosts, **kwargs):
            from statsync.targets import Connection

            connection = Connection(target, api_url, timeout, tuple(allow_hosts), _note, _trace if verbose() else None)
            return command(*args, connection=connection, **kwargs)
        for option in reversed([
            click.option("--target", "-t", help=help_target),
            click.option("--api-url", help=help_url),
            click.option("--timeout", type=click.FloatRange(min=1), default=60, show_default=True, metavar="SECONDS",
                         help="Longest one API request may take, retries included; then a one-line error."),
            click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST",
                         help="Also allow sending the key to HOST (https), besides Statsig's API and loopback. "
                              "Repeatable; or STATSYNC_ALLOW_HOSTS=a,b. Never read from statsync.yaml."),
        ]):
            wrapper = option(wrapper)
        return wrapper
    return decorate


@click.group(cls=StatsyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="statsync")
def main() -> None:
    """Keep a Statsig project in step with YAML files in git.

    \b
    Typical loop:
      statsync validate configs/            offline checks
      statsync plan configs/ --target local what would change
      statsync apply configs/ --target local make it so

    PATH arguments are YAML files or directories (searched recursively).
    --no-color (anywhere) or NO_COLOR turns colour off; FORCE_COLOR turns it on.
    """
    click.get_current_context().color = use_color()  # click strips styles off a non-terminal unless told


@main.command()
@paths_argument
@config_option
@with_target("Also resolve references against this target's live objects (a named target from statsync.yaml, "
             "or `local`).", "Resolve references against this Console API (key in STATSIG_CONSOLE_API_KEY).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: {valid, objects, tests, problems: [{file, line, column, path, message}]}.")
@reports_errors
def validate(paths: tuple[str, ...], config: str | None, connection, output_format: str = "text") -> None:
    """Check YAML files: syntax, schema, names, references.

    Offline by default: every reference must name an object in the repository. With
    --target or --api-url, a reference may also name a live object (list reads only).
    Exit codes: 0 valid, 1 invalid.
    """
    if output_format == "json":
        try:
            return _validate(paths, config, connection, json_output=True)
        except InvalidConfig as exc:
            echo_json(json.dumps({"valid": False, "problems": [
                {"file": p.mark.file if p.mark else None, "line": p.mark.line if p.mark else None,
                 "column": p.mark.column if p.mark else None, "path": p.path, "message": p.message}
                for p in exc.problems]}, indent=2, ensure_ascii=False))
            sys.exit(EXIT_ERROR)  # no annotations: stdout is JSON for a machine to parse
    _validate(paths, config, connection)


def _validate(paths, config, connection, json_output: bool = False) -> None:
    project = load_project(paths, config)
    documents = None
    if connection.target is None and connection.api_url is None:
        from statsync.validate import check_references, desired_objects

        from statsync import cache

        kept = cache.for_validate()  # unchanged files from an earlier validate: see statsync/cache.py
        try:
            documents = project.documents(kept)  # read once: objects and tests both come from them
            objects = desired_objects(documents)
        finally:
            if kept is not None:
                kept.save()  # what was read afresh, and which documents passed their schemas
        check_references(objects)
    else:
        from statsync.targets import open_target
        from statsync.workflow import validate_online

        async def run():
            async with open_target(project, connection) as (_, client):
                return await validate_online(project, client)
        objects = _run(run())
    from statsync.testing import load_tests

    tests = load_tests(documents if documents is not None else project.documents(), objects)
    _report_skipped(project)
    if json_output:
        echo_json(json.dumps({"valid": True, "objects": len(objects), "tests": len(tests), "problems": []}))
        return
    echo(f"{len(objects)} object(s) valid" + (f", {len(tests)} test(s)." if tests else "."))


prune_option = click.option("--prune", is_flag=True, default=None,
                            help="Delete live objects missing from the repository (within prune scope).")


def selection_options(command):
    """--only KIND.ID (glob, repeatable) and --kind KIND, handed to the command as `only` patterns."""
    @functools.wraps(command)
    def wrapper(*args, only, only_kinds, **kwargs):
        return command(*args, only=(*only, *(f"{kind}.*" for kind in only_kinds)), **kwargs)
    wrapper = click.option("--kind", "only_kinds", multiple=True, type=click.Choice(list(all_kinds())),
                           help="Only objects of this kind (repeatable).")(wrapper)
    return click.option("--only", multiple=True, metavar="KIND.ID",
                        help="Only this object, e.g. gate.new_checkout or 'gate.checkout_*' (repeatable); "
                             "pruning stays inside the selection.")(wrapper)


format_option = click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]),
                             default="text", show_default=True,
                             help="text for terminals, json for machines (the saved-plan format), "
                                  "markdown for a pull-request comment.")


@main.command()
@paths_argument
@config_option
@with_target()
@prune_option
@selection_options
@format_option
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="Also save the plan as JSON, for `statsync apply --plan FILE`.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes (0 none, 1 error), for scripts and CI.")
@reports_errors
def plan(paths, config, connection, prune, only, output_format, out, detailed_exitcode) -> None:
    """Show what apply would change on the target.

    Exit codes: 0 no changes (or changes without --detailed-exitcode),
    2 changes with --detailed-exitcode, 1 error.
    """
    from statsync import planfile
    from statsync.render import markdown
    from statsync.targets import open_target
    from statsync.workflow import make_plan, plan_options

    project = load_project(paths, config)
    options = plan_options(project, prune, only)

    async def run():
        async with open_target(project, connection) as (name, client):
            return await make_plan(project, client, name, options), client.pacer.limits

    result, limits = _run(run())
    _report_skipped(project)
    saved = None
    if out or output_format == "json":
        saved = planfile.dumps(result, planfile.file_digests(project.paths, project.root),
                               {"prune": options.prune, **planfile.arguments(paths, config)})
    if out:
        _write(out, saved)
    if output_format == "json":
        echo_json(saved, nl=False)
    elif output_format == "markdown":
        echo(markdown.render_plan(result), nl=False)
    else:
        echo(render_plan(result, color=use_color(), limits=limits), nl=False)
        if out:
            echo(f"Saved the plan to {out}; apply exactly it with: statsync apply --plan {out}")
    if detailed_exitcode and result.has_changes:
        sys.exit(EXIT_CHANGES)


def _report_skipped(project) -> None:
    """Files holding statsync objects that are not loaded: said, so nobody thinks they are managed."""
    from statsync.loader import skipped_files

    for skipped in skipped_files(project.paths, all_kinds()):
        addresses = ", ".join(f"{kind}.{object_id}" for kind, object_id in skipped.objects)
        echo(f"warning: skipped {skipped.path}: {skipped.reason}; not managed: {addresses}", err=True)
    if project.found == 0:
        echo(f"warning: no statsync objects found in {', '.join(map(str, project.paths))}", err=True)
    if project.passed_over:
        count = len(project.passed_over)
        echo(f"note: passed over {count} YAML file(s) that are not statsync's (no statsync `kind`)"
                   + ("" if verbose() else "; -v lists them"), err=True)
        if verbose():
            for path in project.passed_over:
                echo(f"note:   {path}", err=True)


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise StatsyncError(f"{path}: cannot write: {exc.strerror}") from None


@main.command()
@paths_argument
@config_option
@with_target()
@prune_option
@selection_options
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False),
              help="Apply this reviewed plan (from `plan --out`): planned again, applied only for the objects it "
                   "covers and only where the steps are exactly the reviewed ones. Target and paths come from the "
                   "plan. No confirmation is asked: the plan was the review.")
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--force", is_flag=True, help="Apply even past the safety thresholds in statsync.yaml.")
@click.option("--allow-deletes", type=click.IntRange(min=0), metavar="N",
              help="Allow a plan that deletes exactly N objects, past safety.max_deletes.")
@click.option("--allow-replace", is_flag=True,
              help="Allow deleting and re-creating objects Statsig cannot update (a segment's description, say).")
@click.option("--allow-creates", type=click.IntRange(min=0), metavar="N",
              help="Allow a first apply (none of the repository's objects live yet) that creates exactly N objects, "
                   "past safety.max_first_creates.")
@click.option("--parallelism", type=click.IntRange(1, 32), help="Independent steps applied at once (default 4).")
@click.option("--deadline", default="30m", show_default=True, metavar="DURATION",
              help="No step starts after this long (90s, 30m, 2h); what was not done is reported and journaled.")
@click.option("--respect-review-settings", is_flag=True,
              help="Send x-respect-review-settings: changes that need review become pending reviews.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: the outcome of every step on stdout (the plan and progress go to stderr); needs "
                   "--auto-approve or --plan.")
@reports_errors
def apply(paths, config, connection, prune, only, plan_file, auto_approve, force, allow_deletes, allow_replace,
          allow_creates, parallelism, deadline, respect_review_settings, output_format) -> None:
    """Plan (or load a saved plan), then make the target match the repository.

    Steps run in dependency order, paced to Statsig's rate limits, with retries.
    An object changed in the console since it was read is skipped as a conflict.
    Every run is journaled in .statsync/journal/.
    Exit codes: 0 applied (or nothing to do), 1 anything failed, conflicted or refused.
    """
    from statsync import planfile
    from statsync.executor import ApplyOptions
    from statsync.plan import check_safety
    from statsync.render.progress import Progress
    from statsync.lock import apply_lock
    from statsync.targets import open_target
    from statsync.workflow import apply_plan, make_plan, open_journal, plan_options, reviewed_plan

    run_seconds = _duration(deadline)
    started = time.monotonic()
    as_json = output_format == "json"
    if as_json and not (auto_approve or plan_file):
        raise StatsyncError("--format json cannot ask for confirmation: give --auto-approve or --plan FILE")
    say = functools.partial(echo, err=as_json)  # what a person reads: stderr when stdout is JSON
    saved = planfile.load(Path(plan_file)) if plan_file else None
    if saved is not None:
        # the plan says where it was made: its paths and target, unless given again
        if not paths and config is None:
            paths, config = planfile.arguments_of(saved[1], Path(plan_file))
        if connection.target is None and connection.api_url is None:
            target, api_url = planfile.connection_of(saved[1])
            connection = dataclasses.replace(connection, target=target, api_url=api_url)
    project = load_project(paths, config)
    color = use_color()

    async def run() -> int:
        async with open_target(project, connection, respect_review_settings) as (name, client):
            with apply_lock(project.state_dir, name):
                return await apply_on(name, client)

    async def apply_on(name, client) -> int:
        if saved is not None:
            options = plan_options(project, prune)
            reviewed = await reviewed_plan(project, client, name, *saved, options)
            result = reviewed.plan
            for address in reviewed.done:
                echo(f"{address}: already as the reviewed plan leaves it; nothing to send", err=True)
            for address in reviewed.not_reviewed:
                echo(f"{address}: has changes the reviewed plan does not show; not applied "
                           f"(plan again to review them)", err=True)
        else:
            options = plan_options(project, prune, only)
            result = await make_plan(project, client, name, options)
        say(render_plan(result, color=color, limits=client.pacer.limits), nl=False)
        if not result.has_changes:
            _apply_json(as_json, name, [], [], None, False)
            return EXIT_OK
        check_safety(result, project.safety, force=force, allow_deletes=allow_deletes, allow_replace=allow_replace,
                     allow_creates=allow_creates)
        if saved is None and not auto_approve and not _confirmed(name):
            echo("Apply cancelled; nothing was changed.", err=True)
            return EXIT_ERROR
        journal = open_journal(project, name)
        progress = Progress(len(result.steps), client.pacer, color=color, stream=sys.stderr if as_json else None)
        reads = client.request_count
        import asyncio

        interrupted = asyncio.Event()
        try:
            apply_options = ApplyOptions(parallelism=parallelism or project.parallelism, journal=journal,
                                         on_outcome=progress.step_done, deadline=started + run_seconds,
                                         interrupted=interrupted)
            async with progress.running():
                with _finish_on_interrupt(interrupted):
                    outcomes = await apply_plan(result, client, apply_options)
            summary, before = progress.summary(outcomes, client, reads), client.request_count
            overwritten = [o.raced for o in outcomes if o.raced]
            if not interrupted.is_set():
                overwritten += await _verified(project, client, name, options, outcomes, journal)
        finally:
            journal.close()
        reads = client.request_count - before
        verified = f" Verified with {reads} read request(s)." if reads else ""
        say(summary + verified + f" Journal: {journal.path}")
        if journal.failed:
            overwritten.append(journal.failed)
        for line in overwritten:
            echo(f"error: {line}", err=True)
        _apply_json(as_json, name, outcomes, overwritten, journal.path, interrupted.is_set())
        if interrupted.is_set():
            left = [o.step.address for o in outcomes if o.status == "skipped"]
            echo(f"Interrupted: {sum(o.ok for o in outcomes)} step(s) applied, {len(left)} not started "
                       f"(plan again to see what is left).", err=True)
            return EXIT_INTERRUPTED
        return EXIT_OK if all(outcome.ok for outcome in outcomes) and not overwritten else EXIT_ERROR

    sys.exit(_run(run()))


def _apply_json(as_json: bool, target: str, outcomes, errors: list[str], journal, interrupted: bool) -> None:
    """`apply --format json`: every step's outcome, for a machine (the Action's comment, say)."""
    if not as_json:
        return
    from statsync.executor import OUTCOMES

    counts = {status: sum(1 for o in outcomes if o.status == status) for status in OUTCOMES}
    echo_json(json.dumps({
        "target": target,
        "applied_changes": counts["applied"] > 0 or counts["pending_review"] > 0,
        "ok": all(o.ok for o in outcomes) and not errors and not interrupted,
        "interrupted": interrupted,
        "summary": counts,
        "steps": [o.record() for o in outcomes],
        "errors": errors,
        "journal": str(journal) if journal else None,
    }, indent=2, ensure_ascii=False))


@contextlib.contextmanager
def _finish_on_interrupt(interrupted: asyncio.Event):
    """The first Ctrl-C lets the requests in flight finish and starts nothing more (the
    journal and the summary then say what was and was not applied); a second stops at once."""
    import asyncio

    loop = asyncio.get_running_loop()

    def first() -> None:
        interrupted.set()
        echo("\ninterrupted: finishing the steps in flight, starting no more (Ctrl-C again to stop at once)",
                   err=True)
        loop.add_signal_handler(signal.SIGINT, second)

    def second() -> None:
        raise KeyboardInterrupt

    try:
        loop.add_signal_handler(signal.SIGINT, first)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


@main.command()
@paths_argument
@config_option
@with_target()
@format_option
@reports_errors
def drift(paths, config, connection, output_format) -> None:
    """Report where the live project differs from the repository, and who changed it.

    For schedules: each drifted object with the fields that differ, who last changed
    it and when, and (gates, dynamic configs) the version that brought the live values in.
    Exit codes: 0 in sync, 2 drift, 1 error.
    """
    from statsync.drift import drift_report
    from statsync.render import drift as render
    from statsync.targets import open_target

    project = load_project(paths, config)

    async def run():
        async with open_target(project, connection) as (name, client):
            return await drift_report(project, client, name)

    report = _run(run())
    renderer = {"text": render.render_text, "json": render.render_json, "markdown": render.render_markdown}
    (echo_json if output_format == "json" else echo)(renderer[output_format](report), nl=False)
    if output_format == "text":  # the other formats stay parseable
        _annotate(_drift_problems(project, report), level="warning")
    sys.exit(EXIT_CHANGES if report.has_drift else EXIT_OK)


def _drift_problems(project, report) -> list:
    """Each drifted object as a problem on the document that holds it (for annotations)."""
    from statsync.errors import Problem

    if os.environ.get("GITHUB_ACTIONS") != "true":
        return []
    documents = {(d.data.get("kind"), str(d.data.get("id"))): d for d in project.documents()
                 if isinstance(d.data, dict)}
    problems = []
    for drifted in report.drifted:
        document = documents.get((drifted.kind, drifted.id))
        fields = ", ".join(sorted({change.path for change in drifted.changes}))
        who = f" (last changed by {drifted.modified_by})" if drifted.modified_by else ""
        problems.append(Problem(document.mark() if document else None,
                                f"{drifted.address} differs live: {fields}{who}; apply, or `statsync pull` to accept"))
    return problems


@main.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option("--format", "output_format", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
@reports_errors
def show(plan_file, output_format) -> None:
    """Render a saved plan (from `plan --out`) offline, as text or Markdown."""
    from statsync import planfile
    from statsync.render import markdown

    result, meta = planfile.load(Path(plan_file))
    if output_format == "markdown":
        echo(markdown.render_plan(result), nl=False)
    else:
        echo(f"Saved plan {plan_file}: made {meta.get('created', '?')} by statsync "
                   f"{meta.get('statsync_version', '?')}.")
        echo(render_plan(result, color=use_color()), nl=False)


@main.command()
@click.option("--out", "out", default="schemas", show_default=True, type=click.Path(file_okay=False),
              help="Directory to write <kind>.json, test.json and statsync.json into.")
@reports_errors
def schema(out) -> None:
    """Write the JSON Schemas of statsync's files (for editors: the yaml-language-server
    comment `import` writes points at them), generated from this version of statsync."""
    from statsync.schemas import all_schemas

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for name, document in all_schemas().items():
        (folder / name).write_text(json.dumps(document, indent=2) + "\n")
    echo(f"Wrote {len(all_schemas())} schemas to {folder}/ (statsync {__version__}).")


@main.command("test")
@paths_argument
@config_option
@with_target("Evaluate the repository's objects over this target's live project: what the files do not hold "
             "(a live-only segment, say) is read from it (list reads, plus id lists and overrides of what tests reach).",
             "The same, against this Console API (key in STATSIG_CONSOLE_API_KEY).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown", "junit"]), default="text",
              show_default=True, help="junit: JUnit XML for CI test tabs; markdown: for a pull-request comment.")
@click.option("--min-coverage", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="Also fail when cases reach fewer than PERCENT of the tested objects' rules.")
@reports_errors
def test_(paths, config, connection, output_format, min_coverage) -> None:
    """Run the targeting tests (`kind: test` documents) with Statsig's own evaluator.

    Offline: the repository is compiled to the payload Statsig's SDKs evaluate, and each
    case is evaluated by statsig-python-core. With --target, the repository's objects are
    compiled over the live project's (what the files do not hold is read from it). A
    partial rollout on a case's path is an exact probability, not a guess. Exit codes:
    0 every case holds, 1 any fails or errs.
    """
    from statsync.render.tests import FORMATS, report
    from statsync.testing import load_tests, run_tests
    from statsync.validate import check_references, desired_objects

    project = load_project(paths, config)
    documents = project.documents()
    if connection.target is None and connection.api_url is None:
        objects = desired_objects(documents)
        check_references(objects)
        tests = load_tests(documents, objects)
    else:
        from statsync.targets import open_target
        from statsync.workflow import objects_on_target

        subjects = {tuple(d.data["subject"].split(" ", 1)) for d in documents if isinstance(d.data, dict)
                    and d.data.get("kind") == "test" and isinstance(d.data.get("subject"), str)
                    and " " in d.data["subject"]}

        async def run():
            async with open_target(project, connection) as (_, client):
                return await objects_on_target(project, client, subjects)
        objects = _run(run())
        tests = load_tests(documents, objects, "the repository or the live project")
    results, uncovered, rules = run_tests(tests, objects)
    failed = [r for r in results if not r.ok]
    data = report(results, uncovered, rules, len(tests))
    coverage = data["rule_coverage"]
    (echo_json if output_format == "json" else echo)(FORMATS[output_format](data), nl=False)
    from statsync.errors import Problem

    if output_format == "text":  # the other formats stay parseable
        _annotate([Problem(r.mark, f"{r.test} / {r.case}: {r.message}") for r in failed])
    short = min_coverage is not None and coverage < min_coverage
    if short:
        echo(f"error: rule coverage {coverage:.0f}% is below --min-coverage {min_coverage:g}%", err=True)
    sys.exit(EXIT_ERROR if failed or short else EXIT_OK)


@main.command()
@click.argument("kind", type=click.Choice(EXPLAINABLE))
@click.argument("object_id", metavar="ID")
@paths_argument
@config_option
@click.option("--user", "user_json", required=True, metavar="JSON",
              help='The StatsigUser, e.g. \'{"userID": "u1", "email": "ada@example.com", "country": "CA"}\'.')
@click.option("--environment", default="production", show_default=True, help="Environment tier.")
@click.option("--at", default="2026-01-01T00:00:00Z", show_default=True, help="The clock for time conditions.")
@reports_errors
def explain(kind, object_id, paths, config, user_json, environment, at) -> None:
    """Show one evaluation as its path through the rules: each condition and its outcome,
    the rule that decides, and the rollouts on the way (Statsig's evaluator, offline)."""
    import json as json_module

    from statsync.compile import Unsupported
    from statsync.explain import explain as explain_one
    from statsync.workflow import load_desired

    try:
        user = json_module.loads(user_json)
    except ValueError as exc:
        raise StatsyncError(f"--user is not JSON: {exc}") from None
    if not isinstance(user, dict):
        raise StatsyncError("--user must be a JSON object (a StatsigUser)")
    project = load_project(paths, config)
    try:
        lines = explain_one(load_desired(project), kind, object_id, user, environment, at)
    except Unsupported as exc:
        raise StatsyncError(str(exc)) from None
    echo("\n".join(lines))


@main.command()
@paths_argument
@config_option
@with_target()
@selection_options
@reports_errors
def pull(paths, config, connection, only) -> None:
    """Accept drift: write live values back into the files that hold them.

    Every object that differs live (see `statsync drift`) is rewritten in its own
    document, in the file that holds it (multi-document files included; the other
    documents and the comments between them are kept). Objects created in the console
    get new files, as import writes them (unless drift.unmanaged is ignore). Then the
    files are planned again: each pulled object must be in sync. Commit the result to
    accept the drift. Exit codes: 0 pulled (or nothing to pull), 1 something could not
    be pulled.
    """
    from statsync.targets import open_target
    from statsync.workflow import pull as pull_drift

    project = load_project(paths, config)

    async def run():
        async with open_target(project, connection) as (name, client):
            return await pull_drift(project, client, name, only)

    result = _run(run())
    for written in result.written:
        how = "new file, created in the console" if written.new_file else "rewritten in place"
        echo(f"pulled {written.address} into {written.file} ({how})")
    for address in result.not_live:
        echo(f"note: {address} is in the files but not live; left as it is (apply creates it)", err=True)
    for problem in result.unrepresentable:
        fail(f"cannot pull {problem}; its file is unchanged")
    for address in result.not_converged:
        fail(f"{address}: pulled, but its files still plan a change (please report this)")
    if not result.written and not result.unrepresentable:
        echo("Nothing to pull: the files match the live project.")
    elif result.written:
        echo(f"Pulled {len(result.written)} object(s); review with `git diff`, commit to accept the drift.")
    sys.exit(EXIT_ERROR if result.unrepresentable or result.not_converged else EXIT_OK)


@main.command()
@paths_argument
@config_option
@click.option("--check", is_flag=True, help="Change nothing: list the files whose layout differs, exit 1 if any.")
@reports_errors
def fmt(paths, config, check) -> None:
    """Put object documents in import's canonical layout.

    Key order kind, id, name, description, then the schema's; conditions and short
    lists on one line. File headers, separators and comments between documents are
    kept; a document with comments inside is left alone (and said so). Exit codes: 0
    formatted (or already so), 1 with --check when a file would change, or invalid YAML.
    """
    from statsync.fmt import format_files

    project = load_project(paths, config)
    project.documents()  # the same files validate reads (other YAML passed over), and their YAML checked
    from statsync.loader import find_files

    files = [path for path in find_files(project.paths) if path not in set(project.passed_over)]
    result = format_files(files, write=not check)
    for line in result.left:
        echo(f"note: {line}", err=True)
    for path in result.changed:
        echo(f"{'would format' if check else 'formatted'} {path}")
    if check and result.changed:
        echo(f"{len(result.changed)} file(s) not in the canonical layout; run `statsync fmt`.", err=True)
        sys.exit(EXIT_ERROR)
    if not result.changed:
        echo("Every file is in the canonical layout.")


@main.command("import")
@config_option
@with_target()
@click.option("--kind", "kinds", multiple=True, type=click.Choice(list(all_kinds())),
              help="Only this kind (repeatable; default: every kind but the project-wide settings and keys, which "
                   "every project already holds).")
@click.option("--id", "id_glob", default="", metavar="GLOB", help="Only ids matching this pattern, e.g. 'checkout_*'.")
@click.option("--tag", default="", help="Only objects carrying this tag.")
@click.option("--out", "out", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Directory to write <kind plural>/<id>.yaml files into.")
@click.option("--overwrite", is_flag=True, help="Replace existing files that differ (identical ones are left alone).")
@click.option("--lenient", is_flag=True,
              help="Also write objects statsync cannot represent fully, with a comment saying what is missing.")
@click.option("--deep", is_flag=True,
              help="Also read each object's overrides and each id-list segment's ids (written to <id>.ids.txt): "
                   "one request or more per object, against the rate limit.")
@reports_errors
def import_(config, connection, kinds, id_glob, tag, out, overwrite, lenient, deep) -> None:
    """Write live objects as YAML, then prove they plan to no changes.

    Reads the live project with paged list requests only (--deep adds overrides and
    id-list members, object by object). Exit codes: 0 imported and round-trips, 1 an
    object could not be represented (without --lenient) or
    does not plan back to zero changes.
    """
    from statsync.importer import default_kinds, write_all
    from statsync.targets import open_target
    from statsync.workflow import read_every_own_endpoint, read_live

    project = load_project((), config)

    async def run():
        async with open_target(project, connection) as (name, client):
            live = await read_live(client, set(kinds) or default_kinds())
            if deep:
                await read_every_own_endpoint(client, live)
            return live, name, client.request_count

    live, name, requests = _run(run())
    result = write_all(live, Path(out), kinds, id_glob, tag, overwrite, lenient, name)
    for problem in result.unrepresentable:
        echo(f"{'warning' if lenient else 'error'}: cannot represent {problem}", err=True)
    for path in result.kept:
        echo(f"kept {path}: it differs from live (use --overwrite to replace it)", err=True)
    kind_of_reads = "" if deep else "list "
    echo(f"Imported from {name} with {requests} {kind_of_reads}request(s): {len(result.written)} written, "
               f"{len(result.unchanged)} unchanged, {len(result.kept)} kept, {len(result.skipped)} not representable.")
    for address in result.not_round_tripping:
        echo(f"error: {address} does not plan back to zero changes after import (a statsync bug: please report it)",
                   err=True)
    if result.skipped or result.not_round_tripping:
        sys.exit(EXIT_ERROR)


async def _verified(project, client, target, options, outcomes, journal) -> list[str]:
    """The verification read after an apply: objects another writer changed after ours."""
    from statsync.workflow import verify_applied

    try:
        lines = await verify_applied(project, client, target, options, outcomes)
    except StatsyncError as exc:
        echo(f"warning: could not read the project again to verify the apply: {exc}", err=True)
        return []
    for line in lines:
        journal.write({"type": "overwritten", "message": line})
    return lines


def _confirmed(target: str) -> bool:
    if not sys.stdin.isatty():
        raise StatsyncError("refusing to apply without confirmation: stdin is not a terminal (use --auto-approve)")
    answer = click.prompt(f"Apply these changes to {target}? Only 'yes' will be accepted", default="",
                          show_default=False)
    return answer.strip() == "yes"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8787, show_default=True, type=int, help="Port to listen on (0 picks a free one).")
@click.option("--state", type=click.Path(dir_okay=False),
              help="JSON file the project is loaded from and saved to on exit (default: in memory).")
@click.option("--api-key", help="Accept only this key (default: any key starting with 'console-').")
@click.option("--project-id", help="The project's id, as GET /console/v1/project answers it (default: made once and "
                                   "kept in --state).")
@click.option("--seed", type=int, help="Seed for generated ids and random faults, for reproducible runs.")
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0, help="Added latency per request.")
@click.option("--jitter-ms", type=click.FloatRange(min=0), default=0, help="Random ± spread on the latency.")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0,
              help="Share of requests answered with a 500/502/503/504.")
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0,
              help="Share of mutations whose connection is dropped, half before and half after the change is committed.")
@click.option("--fault", "scripted", multiple=True, metavar="'METHOD /path N OUTCOME'",
              help="Scripted fault, e.g. 'POST /gates 3 503' or 'PATCH /gates/{id} 1 drop-after'. Repeatable.")
@click.option("--rate-limit", is_flag=True, help="Enforce Statsig-like rate limits (429 with Retry-After).")
@click.option("--requests-per-10s", type=click.IntRange(min=1), default=100, show_default=True,
              help="With --rate-limit: requests allowed in any 10-second window.")
@click.option("--mutations-per-15m", type=click.IntRange(min=1), default=900, show_default=True,
              help="With --rate-limit: mutations allowed in any 15-minute window.")
@click.option("--reviews-required", is_flag=True,
              help="Project requires reviews: with x-respect-review-settings, changes become pending reviews.")
@click.option("--reading", "readings", multiple=True, metavar="QUESTION=ANSWER",
              help="Answer an unproven question the other way, e.g. segment_rules_body=object (see "
                   "`statsync probe --help`). Repeatable.")
@reports_errors
def emulator(host, port, state, api_key, project_id, seed, latency_ms, jitter_ms, error_rate, drop_rate, scripted,
             rate_limit, requests_per_10s, mutations_per_15m, reviews_required, readings) -> None:
    """Serve the Statsig Console API emulator over HTTP.

    Try statsync without a Statsig account, or test a config repository
    hermetically: point --api-url at it with any `console-…` key. Faults and
    rate limits are off unless asked for. SIGINT or SIGTERM stops it cleanly,
    saving --state.
    """
    from statsync.emulator.faults import Faults
    from statsync.emulator.ratelimit import RateLimit
    from statsync.emulator.server import serve

    faults = Faults(latency_ms=latency_ms, jitter_ms=jitter_ms, error_rate=error_rate, drop_rate=drop_rate, seed=seed)
    for text in scripted:
        try:
            faults.script(text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--fault") from None
    limit = RateLimit(requests=requests_per_10s, mutations=mutations_per_15m) if rate_limit else None
    serve(host=host, port=port, state=state, api_key=api_key, project_id=project_id, seed=seed, faults=faults,
          rate_limit=limit, reviews_required=reviews_required, readings=_readings(readings))


def _readings(pairs: tuple[str, ...]):
    from statsync.emulator.readings import Readings

    chosen = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        chosen[name.strip()] = value.strip()
    try:
        return Readings(**chosen)
    except (TypeError, ValueError) as exc:
        raise click.BadParameter(str(exc).replace("__init__() ", ""), param_hint="--reading") from None


@main.command()
@config_option
@with_target("The throw-away project to probe: a named target from statsync.yaml (or `local`, the emulator, as a "
             "stand-in).")
@click.option("--i-understand-this-writes", "allow_writes", is_flag=True,
              help="Probe even though the project holds objects the probe did not create.")
@click.option("--out", default="probe-results", show_default=True, type=click.Path(file_okay=False),
              help="Directory for the fixtures (one JSON file a question) and report.md.")
@click.option("--only", "only", multiple=True, metavar="QUESTION", help="Only this question (repeatable).")
@click.option("--report-from", "report_from", type=click.Path(exists=True, file_okay=False),
              help="Write no requests: report on the fixtures in this directory instead.")
@reports_errors
def probe(config, connection, allow_writes, out, only, report_from) -> None:
    """Settle what Statsig's documentation leaves unproven, against a throw-away project.

    For each question the emulator answers by assumption (the ⚠ unproven rows of
    README's fidelity table), the probe creates objects whose ids start with
    `statsync_probe_`, makes the requests that answer it, and deletes what it
    created. SAFETY: it writes, so it refuses a project holding any object in the
    kinds it writes (gates, dynamic configs, segments, experiments) that it did not
    create, unless given --i-understand-this-writes. It writes one redacted fixture
    a question (no key, no person's name or email) and a report setting each answer
    beside the emulator's reading. Exit codes: 0 every answer agrees, 1 a question
    disagrees or is unsettled, or the probe could not run.
    """
    from statsync import probe as probing
    from statsync.targets import open_target

    unknown = sorted(set(only) - set(probing.PROBES))
    if unknown:  # a typo must not become "0 agree, 0 disagree" and exit 0
        raise click.BadParameter(f"no such question: {', '.join(unknown)} (questions: {', '.join(probing.PROBES)})",
                                 param_hint="--only")
    if report_from:
        findings = [probing.Finding.load(path) for path in sorted(Path(report_from).glob("*.json"))]
        if not findings:
            raise StatsyncError(f"{report_from}: no probe fixtures (*.json)")
        left: list[str] = []
    else:
        project = load_project((), config)

        async def run():
            async with open_target(project, connection) as (name, client):
                source = f"statsync probe against {name}"
                return await probing.run(client, source, allow_writes, tuple(only))
        findings, left = _run(run())
        written = probing.write(findings, Path(out))
        echo(f"Wrote {len(written)} fixture(s) to {out}/.", err=True)
    table, disagree = probing.report(findings)
    if not report_from:
        (Path(out) / "report.md").write_text(table)
    echo(table, nl=False)
    for path in left:
        fail(f"could not delete {path}: delete it by hand")
    unsettled = sum(1 for finding in findings if finding.answer.startswith("unsettled"))
    echo(f"{len(findings) - disagree - unsettled} agree, {disagree} disagree, {unsettled} unsettled.", err=True)
    if disagree or unsettled or left:
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":  # pragma: no cover
    main()
