"""The project: where objects live (PATH arguments or `statsync.yaml`), and targets."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from statsync import spec
from statsync.errors import InvalidConfig, Problem, StatsyncError
from statsync.loader import CONFIG_FILE, Document, OnlyOurs, load_file, load_paths
from statsync.schemas import config_schema

if TYPE_CHECKING:
    from statsync.api.pacing import Limits
    from statsync.cache import LoadCache

DEFAULT_KEY_ENV = "STATSIG_CONSOLE_API_KEY"
# A plan deleting more than max_deletes objects, or changing more than
# max_changed_percent of the managed live objects (once there are at least
# min_managed of them), is refused unless forced.
# A first apply (none of the repository's objects live) creating more than
# max_first_creates objects asks for --allow-creates N: it may be the wrong project.
SAFETY_DEFAULTS = {"max_deletes": 5, "max_changed_percent": 30, "min_managed": 10, "max_first_creates": 20}
LOCAL_TARGET = "local"


@dataclass(frozen=True)
class TargetConfig:
    name: str
    api_url: str
    api_key_env: str = DEFAULT_KEY_ENV
    project_id: str | None = None  # the project this target must be: checked before any read or write


@dataclass
class Project:
    root: Path  # where .statsync/ lives: the directory of statsync.yaml, else the first PATH directory
    paths: list[Path]
    config_file: Path | None = None
    targets: dict[str, TargetConfig] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    paths_declared: bool = False  # the paths are statsync.yaml's `paths:`, not PATH arguments or the default
    # YAML files found in directories that are not statsync's (see loader.OnlyOurs)
    passed_over: list[Path] = field(default_factory=list)
    found: int | None = None  # statsync documents the last read found (None: not read yet)

    def documents(self, cache: LoadCache | None = None) -> list[Document]:
        """Every statsync document in the project's paths, read afresh (files change between
        a plan and the next) unless `cache` (validate's) holds a file as it is. Where the paths are statsync.yaml's `paths:`, every YAML file
        there must be statsync's; otherwise other YAML (docker-compose, manifests) is passed
        over and listed in `passed_over`."""
        from statsync.kinds import all_kinds

        only_ours = None if self.paths_declared else OnlyOurs(frozenset([*all_kinds(), "test"]))
        documents = load_paths(self.paths, only_ours, cache)
        self.passed_over = only_ours.passed_over if only_ours else []
        self.found = len(documents)
        return documents

    @property
    def state_dir(self) -> Path:
        return self.root / ".statsync"

    @property
    def limits(self) -> Limits | None:
        """The pacing budget for real targets: Statsig's documented limits unless set."""
        from statsync.api.pacing import Limits  # asyncio with it: only commands that talk to a target ask

        setting = self.settings.get("rate_limit", {})
        if setting is False:
            return None
        return Limits(requests=setting.get("requests_per_10s", 100),
                      mutations=setting.get("mutations_per_15m", 900))

    @property
    def ignore(self) -> list[str]:
        return list(self.settings.get("ignore", []))

    @property
    def prune(self) -> dict[str, Any]:
        return dict(self.settings.get("prune", {}))

    @property
    def safety(self) -> dict[str, Any]:
        return {**SAFETY_DEFAULTS, **self.settings.get("safety", {})}

    @property
    def parallelism(self) -> int:
        return self.settings.get("apply", {}).get("parallelism", 4)


def load_project(paths: tuple[str, ...] = (), config: str | None = None) -> Project:
    """Find statsync.yaml (given, in the first PATH directory, or here) and the object paths."""
    given = [Path(p) for p in paths]
    missing = [str(path) for path in given if not path.exists()]
    if missing:
        raise StatsyncError(f"{', '.join(missing)}: no such file or directory")
    config_path = Path(config) if config else _discover(given)
    settings: dict[str, Any] = {}
    if config_path is not None:
        if not config_path.is_file():
            raise StatsyncError(f"{config_path}: no such file")
        settings = _read_settings(config_path)
    base = config_path.parent if config_path else (given[0] if given and given[0].is_dir() else Path("."))
    if given:
        object_paths = given
    elif "paths" in settings:
        object_paths = [base / p for p in settings["paths"]]
    else:
        object_paths = [base]
    targets = {name: TargetConfig(name, t["api_url"], t.get("api_key_env", DEFAULT_KEY_ENV), t.get("project_id"))
               for name, t in settings.get("targets", {}).items()}
    return Project(root=base, paths=object_paths, config_file=config_path, targets=targets, settings=settings,
                   paths_declared=not given and "paths" in settings)


def _discover(given: list[Path]) -> Path | None:
    candidates = [given[0] / CONFIG_FILE] if given and given[0].is_dir() else []
    if not given:
        candidates.append(Path(CONFIG_FILE))
    return next((c for c in candidates if c.is_file()), None)


def _read_settings(path: Path) -> dict[str, Any]:
    documents = load_file(path)
    if not documents:
        return {}
    if len(documents) > 1:
        raise InvalidConfig([Problem(documents[1].mark(), "statsync.yaml holds one document")])
    document = documents[0]
    validator = spec.DecimalValidator(config_schema())
    problems = [Problem(document.mark(tuple(error.absolute_path)), error.message,
                        ".".join(map(str, error.absolute_path)))
                for error in validator.iter_errors(document.data)]
    if problems:
        raise InvalidConfig(problems)
    return document.data or {}
