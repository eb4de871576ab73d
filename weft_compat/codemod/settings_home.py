"""Which settings module's ``INSTALLED_APPS`` gets weft_compat's Django app
(``installed_apps``, WC116), decided once for the tree from every module's Django facts.

Nothing is decided unless the tree holds a Celery app or task. Then the home of
``INSTALLED_APPS`` is, in this order:

1. for each module DJANGO_SETTINGS_MODULE is given (in ``manage.py``, ``celery.py``,
   ``wsgi.py``, ...): that module if it binds INSTALLED_APPS afresh, else the module it
   gets INSTALLED_APPS from by star imports (the last star import first), else that
   module if it only adds to INSTALLED_APPS;
2. failing that, the one module binding INSTALLED_APPS afresh; of several, the one the
   others build on: the one whose star imports reach no other, and, of several such,
   the one other modules star-import;
3. failing that, the one module adding to INSTALLED_APPS.

A home is left alone when it or a module joined to it by star imports already lists the
app. Other modules binding INSTALLED_APPS afresh are reported, as are all of them when
no home can be told. With none in the tree (and no module listing the app), one module
is reported in, the first of: one binding INSTALLED_APPS inside a class (class-based
settings), one wiring the Celery app to Django, one naming DJANGO_SETTINGS_MODULE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from weft_compat.codemod.django_facts import DjangoFacts
from weft_compat.codemod.facts import ModuleFacts

# Why a module's INSTALLED_APPS is left to a person (``Report.kind``).
OVERRIDES = "overrides"
ANOTHER = "another"
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Report:
    """Why one module's INSTALLED_APPS is reported, and the modules the reason names."""

    kind: str
    modules: tuple[str, ...]


@dataclass(frozen=True)
class AppsPlan:
    """The modules whose INSTALLED_APPS gets the app, the modules whose INSTALLED_APPS is
    reported instead, and the module to report in when no module binds INSTALLED_APPS."""

    homes: frozenset[str] = frozenset()
    reports: Mapping[str, Report] = field(default_factory=dict)
    unfound: str | None = None


def _closure(module: str, stars: Mapping[str, Sequence[str]]) -> set[str]:
    """``module`` and every module it star-imports, directly or through others."""
    found = {module}
    pending = [module]
    while pending:
        for imported in stars.get(pending.pop(), ()):
            if imported not in found:
                found.add(imported)
                pending.append(imported)
    return found


def _family(module: str, stars: Mapping[str, Sequence[str]]) -> set[str]:
    """The modules joined to ``module`` by star imports, either way."""
    joined: dict[str, set[str]] = {}
    for importer, imported in stars.items():
        for target in imported:
            joined.setdefault(importer, set()).add(target)
            joined.setdefault(target, set()).add(importer)
    return _closure(module, {name: sorted(targets) for name, targets in joined.items()})


def _definer(
    module: str,
    django: Mapping[str, DjangoFacts],
    stars: Mapping[str, Sequence[str]],
    seen: set[str],
) -> str | None:
    """The module that binds afresh the INSTALLED_APPS ``module`` ends up with."""
    if module in seen:
        return None
    seen.add(module)
    facts = django.get(module)
    if facts is not None and facts.defines:
        return module
    # A later star import's INSTALLED_APPS replaces an earlier one's.
    for imported in reversed(stars.get(module, ())):
        found = _definer(imported, django, stars, seen)
        if found is not None:
            return found
    return None


def _named_homes(django: Mapping[str, DjangoFacts], stars: Mapping[str, Sequence[str]]) -> set[str]:
    homes = set()
    for facts in django.values():
        for name in facts.settings_modules:
            home = _definer(name, django, stars, set())
            if home is None and name in django and django[name].extends:
                home = name
            if home is not None:
                homes.add(home)
    return homes


def _base_home(
    binders: list[str], django: Mapping[str, DjangoFacts], stars: Mapping[str, Sequence[str]]
) -> str | None:
    definers = [module for module in binders if django[module].defines]
    if not definers:
        return binders[0] if len(binders) == 1 else None
    bases = [m for m in definers if not (_closure(m, stars) - {m}) & set(definers)]
    if len(bases) > 1:
        imported = {target for targets in stars.values() for target in targets}
        bases = [module for module in bases if module in imported] or bases
    return bases[0] if len(bases) == 1 else None


def plan_installed_apps(facts_list: Sequence[ModuleFacts], uses_celery: bool) -> AppsPlan:
    """The plan for a tree whose modules have ``facts_list``; ``uses_celery``: whether it
    holds a Celery app or task."""
    django = {facts.module: facts.django for facts in facts_list if facts.django is not None}
    if not uses_celery or not django:
        return AppsPlan()
    stars = {facts.module: facts.star_imports for facts in facts_list if facts.star_imports}
    binders = sorted(module for module, facts in django.items() if facts.binds)
    if not binders:
        if any(facts.installs_weft for facts in django.values()):
            return AppsPlan()
        ordered = sorted(django.items())
        places = [
            [module for module, facts in ordered if facts.elsewhere],
            [module for module, facts in ordered if facts.wired],
            [module for module, facts in ordered if facts.settings_modules],
        ]
        return AppsPlan(unfound=next((found[0] for found in places if found), None))
    homes = _named_homes(django, stars)
    if not homes:
        base = _base_home(binders, django, stars)
        homes = {base} if base is not None else set()
    reports: dict[str, Report] = {}
    definers = [module for module in binders if django[module].defines]
    if not homes:
        if not any(django[module].installs_weft for module in binders):
            reports = {module: Report(AMBIGUOUS, tuple(definers)) for module in definers}
        return AppsPlan(reports=reports)
    for module in definers:
        if module in homes or django[module].installs_weft:
            continue
        overridden = sorted(_closure(module, stars) & homes)
        if overridden:
            reports[module] = Report(OVERRIDES, tuple(overridden))
        else:
            reports[module] = Report(ANOTHER, tuple(sorted(homes)))
    missing = frozenset(
        home
        for home in homes
        if not any(
            django[member].installs_weft for member in _family(home, stars) if member in django
        )
    )
    return AppsPlan(missing, reports)
