"""Who may see a promotion project, and how much of it (项目公开规则).

The one rule the promotion API, the pages and the public documents share: the programme
office sees every project; a park manager sees the projects of their parks in full, an
enterprise user its own investments (investor = its enterprise); every other viewer (the
public, anonymous callers, and those roles for other projects) sees a project only once it
was signed — never an unsigned lead — and, unless the project is *published* (a
``source_url`` with confidence ``confirmed`` or ``likely``), with the investor and the
project names blanked (they usually name the investor).

Pure functions over a project record (a dict of the ``projects`` columns plus the derived
``stage`` and ``signed_on``) and a viewer: anything with ``role``, ``parks`` and
``enterprise_id`` (the web's ``Principal``, or :class:`ProjectViewer` — :data:`PUBLIC` for
public documents). No web import: :mod:`parklink.web.policy` and :mod:`parklink.report`
both call this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["INVESTOR_FIELDS", "PUBLIC", "PUBLIC_STAGES", "ProjectViewer", "Viewer", "project_for",
           "project_published", "sees_project_in_full", "visible_project"]

#: Stages a project must have reached to be shown to viewers outside its park / investor.
PUBLIC_STAGES = frozenset({"signed", "construction_started", "in_production", "at_capacity"})
#: Fields of a project hidden from viewers who do not see it in full, unless it is published.
INVESTOR_FIELDS = ("investor_id", "investor_name", "name_zh", "name_en")
#: Confidence levels of a published project's source.
PUBLISHED_CONFIDENCE = ("confirmed", "likely")


class Viewer(Protocol):
    """Who looks at a project: a role (``programme_office``, ``park_manager``,
    ``enterprise``, ``public``), the parks they manage and their enterprise."""

    @property
    def role(self) -> str: ...

    @property
    def parks(self) -> Set[str]: ...

    @property
    def enterprise_id(self) -> str | None: ...


@dataclass(frozen=True)
class ProjectViewer:
    """A viewer outside the web layer (reports): role, managed parks, own enterprise."""

    role: str = "public"
    parks: frozenset[str] = frozenset()
    enterprise_id: str | None = None


#: The public (anonymous web callers and public documents).
PUBLIC = ProjectViewer("public")


def sees_project_in_full(viewer: Viewer, project: Mapping[str, Any]) -> bool:
    """True when ``viewer`` sees every field of ``project``: the office, the manager of its
    park, the enterprise that invests."""
    if viewer.role == "programme_office":
        return True
    if viewer.role == "park_manager" and str(project.get("park_id")) in viewer.parks:
        return True
    investor = project.get("investor_id")
    return viewer.role == "enterprise" and investor is not None and investor == viewer.enterprise_id


def project_published(project: Mapping[str, Any]) -> bool:
    """True when the project's facts are public already: a ``source_url`` with confidence
    ``confirmed`` or ``likely`` (synthetic and unsourced projects are unpublished)."""
    return bool(project.get("source_url")) and project.get("confidence") in PUBLISHED_CONFIDENCE


def visible_project(viewer: Viewer, project: Mapping[str, Any]) -> bool:
    """True when ``viewer`` may see ``project`` at all: in full (office, own park, own
    investment), or once it was signed — ``signed_on`` (date of its first event at or past
    signing) is set, or its derived ``stage`` is signed or later; a project terminated after
    signing stays visible (it counts in the KPIs), a lead terminated before never is."""
    if sees_project_in_full(viewer, project):
        return True
    return project.get("signed_on") is not None or project.get("stage") in PUBLIC_STAGES


def project_for(viewer: Viewer, project: Mapping[str, Any]) -> dict[str, Any] | None:
    """``project`` as ``viewer`` may see it: None when hidden, the investor fields (and the
    project names) blanked when unpublished and not theirs; ``redacted`` says which."""
    if not visible_project(viewer, project):
        return None
    if sees_project_in_full(viewer, project) or project_published(project):
        return {**project, "redacted": False}
    return {**project, **dict.fromkeys(INVESTOR_FIELDS), "redacted": True}
