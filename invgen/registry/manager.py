"""The plugin manager: loads plugins from the ``invgen`` entry-point group, one at a time.

A plugin that fails to import (or implements a hook that does not exist) is recorded with
its error and skipped, so one broken plugin never breaks the CLI. ``INVGEN_STRICT_PLUGINS=1``
makes such a failure fatal; ``INVGEN_DISABLE_PLUGINS=a,b`` skips plugins by entry-point name.
Nothing is loaded at import time: the first call to :func:`manager` does it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any, Callable

import pluggy

from invgen.registry import hookspecs
from invgen.errors import PluginLoadError
from invgen.registry.table import DuplicateRegistration, Registry

GROUP = "invgen"
BUILTIN = "invgen.builtins"  # the label `invgen list` shows for the core's own plugin (registry/core_plugin.py)


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that was skipped, and why (one line)."""

    name: str
    error: str


@dataclass
class Manager:
    """A pluggy manager with the loaded plugins, their failures and the registry they build."""

    pm: pluggy.PluginManager
    failures: list[PluginFailure] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    _registry: Registry | None = None
    _reported: int | None = None  # how many failures have been printed (None: not asked to yet)

    def register(self, plugin: ModuleType | object, name: str, version: str = "") -> bool:
        """Register one plugin object; on a bad hook record a failure and leave it out."""
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except (Exception, SystemExit) as error:  # noqa: BLE001 - any plugin fault is isolated
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self.record_failure(name, error)
            return False
        self.versions[name] = version
        self._registry = None
        return True

    def unregister(self, name: str) -> None:
        """Remove a plugin by name (used by tests and by embedding applications)."""
        self.pm.unregister(name=name)
        self.versions.pop(name, None)
        self._registry = None

    def record_failure(self, name: str, error: BaseException) -> None:
        message = f"{type(error).__name__}: {error}".splitlines()[0]
        if strict():
            raise PluginLoadError(f"plugin {name!r} failed to load: {message}") from error
        self.failures.append(PluginFailure(name, message))

    @property
    def registry(self) -> Registry:
        """The registry built from every loaded plugin's ``register_*`` hooks (cached)."""
        if self._registry is None:
            self._registry = self._build_registry()
        return self._registry

    def _build_registry(self) -> Registry:
        registry = Registry()
        kinds = {
            "register_generators": "generator",
            "register_forward_models": "forward",
            "register_losses": "loss",
            "register_priors": "prior",
        }
        for hook_name, kind in kinds.items():
            for plugin_name, function in self.implementations(hook_name):
                self._call(plugin_name, function, self._bind(registry.add_component, plugin_name, kind))
        records = {
            "register_presets": registry.add_preset,
            "register_weights": registry.add_weights,
            "register_datasets": registry.add_dataset,
            "register_examples": registry.add_example,
            "register_benchmarks": registry.add_benchmark,
            "register_tasks": registry.add_task,
            "register_methods": registry.add_method,
            "register_ablations": registry.add_ablation,
            "register_baselines": registry.add_baseline,
            "register_metrics": registry.add_metric,
        }
        for hook_name, add in records.items():
            for plugin_name, function in self.implementations(hook_name):
                self._call(plugin_name, function, self._bind(add, plugin_name))
        if self._reported is not None:  # the CLI has reported load failures already: these came later
            self.report_failures()
        return registry

    def _bind(self, add: Callable[..., None], plugin_name: str, *leading: str) -> Callable[..., None]:
        """The ``register`` callable a plugin's hook gets: bound to the plugin; a name registered again is
        skipped with a warning (fatal under INVGEN_STRICT_PLUGINS=1), the plugin's other registrations kept."""
        def register(*args: Any, **kwargs: Any) -> None:
            try:
                add(*leading, *args, plugin=plugin_name, **kwargs)
            except DuplicateRegistration as error:
                self.record_failure(plugin_name, error)
        return register

    def implementations(self, hook_name: str) -> list[tuple[str, Callable[..., Any]]]:
        """(plugin name, function) for each implementation of a hook, in registration order."""
        hook = getattr(self.pm.hook, hook_name)
        return [(impl.plugin_name, impl.function) for impl in hook.get_hookimpls()]

    def _call(self, plugin_name: str, function: Callable[..., Any], register: Callable[..., None]) -> None:
        try:
            function(register)
        except (Exception, SystemExit) as error:  # noqa: BLE001 - a faulty hook must not break the others
            self.record_failure(plugin_name, error)

    def hooks_of(self, name: str) -> list[str]:
        """Names of the hooks a plugin implements."""
        plugin = self.pm.get_plugin(name)
        return sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])

    def report_failures(self) -> None:
        """Print each failure once per process, as one line on stderr."""
        fresh = self.failures[self._reported or 0:]
        self._reported = len(self.failures)
        for failure in fresh:
            print(f"invgen: plugin {failure.name!r} skipped ({failure.error}); "
                  f"`invgen plugins` lists it, INVGEN_DISABLE_PLUGINS={failure.name} silences it",
                  file=sys.stderr)




def strict() -> bool:
    return os.environ.get("INVGEN_STRICT_PLUGINS", "").strip().lower() in ("1", "true", "yes")


def disabled_names() -> set[str]:
    return {n.strip() for n in os.environ.get("INVGEN_DISABLE_PLUGINS", "").split(",") if n.strip()}


def load_entry_points(target: Manager) -> None:
    """Load every plugin of the ``invgen`` entry-point group, one at a time."""
    blocked = disabled_names()
    for entry_point in sorted(entry_points(group=GROUP), key=lambda ep: ep.name):
        if entry_point.name in blocked:
            target.disabled.append(entry_point.name)
            continue
        try:
            plugin = entry_point.load()
        except (Exception, SystemExit) as error:  # noqa: BLE001 - a plugin may fail in any way, exit() included
            target.record_failure(entry_point.name, error)
            continue
        target.register(plugin, entry_point.name, _version(entry_point))


def _version(entry_point: EntryPoint) -> str:
    dist = getattr(entry_point, "dist", None)
    return dist.version if dist is not None else ""


def new_manager(load: bool = True) -> Manager:
    """A fresh manager with the built-in components and, if ``load``, the installed plugins."""
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    target = Manager(pm)
    from invgen.registry import core_plugin

    target.register(core_plugin, BUILTIN, _own_version())
    if load:
        load_entry_points(target)
    return target


def _own_version() -> str:
    from invgen import __version__

    return __version__


_current: Manager | None = None


def manager() -> Manager:
    """The process-wide manager, created (and the plugins loaded) on first use."""
    global _current
    if _current is None:
        _current = new_manager()
    return _current


def set_manager(replacement: Manager | None) -> None:
    """Swap the process-wide manager (tests use it to isolate fake plugins); None resets."""
    global _current
    _current = replacement


def registry() -> Registry:
    """The registry of the process-wide manager."""
    return manager().registry
