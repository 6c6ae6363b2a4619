"""The engine's audit routes, mounted at ``/audit/audit/`` (its doubled prefix kept), each
with and without a trailing slash. Literal paths come before the ones taking an id."""

from django.urls import re_path

from audit.api.views import events, incidents, reports

ID = r"(?P<{}>[^/]+)"


def route(pattern: str, view, name: str):
    return re_path(rf"^{pattern}/?$", view.as_view(), name=f"audit-{name}")


urlpatterns = [
    route("events", events.EventCreateView, "events"),
    route("events/security", events.SecurityEventCreateView, "events-security"),
    route("events/data-access", events.DataAccessEventCreateView, "events-data-access"),
    route("events/query", events.EventQueryView, "events-query"),
    route("events/sync", events.EventSyncView, "events-sync"),
    route("events/verify", events.ChainVerifyView, "events-verify"),
    route(f"events/user/{ID.format('user_id')}", events.UserEventsView, "events-user"),
    route(f"events/{ID.format('audit_event_id')}", events.EventDetailView, "event"),
    route("incidents", incidents.IncidentsView, "incidents"),
    route(f"incidents/{ID.format('incident_id')}", incidents.IncidentDetailView, "incident"),
    route(
        f"incidents/{ID.format('incident_id')}/assign",
        incidents.IncidentAssignView,
        "incident-assign",
    ),
    route(
        f"incidents/{ID.format('incident_id')}/resolve",
        incidents.IncidentResolveView,
        "incident-resolve",
    ),
    route(
        f"incidents/{ID.format('incident_id')}/close",
        incidents.IncidentCloseView,
        "incident-close",
    ),
    route("compliance/reports", reports.ComplianceReportsView, "reports"),
    route("compliance/reports/gdpr", reports.GdprReportView, "reports-gdpr"),
    route("compliance/reports/food-safety", reports.FoodSafetyReportView, "reports-food-safety"),
    route(
        f"compliance/reports/{ID.format('report_id')}",
        reports.ComplianceReportDetailView,
        "report",
    ),
    route("compliance/events", reports.ComplianceEventsView, "compliance-events"),
    route("compliance/incidents", incidents.ComplianceIncidentsView, "compliance-incidents"),
    route("compliance/erasure", reports.ErasureView, "erasure"),
    route("dashboard/metrics", reports.DashboardMetricsView, "dashboard-metrics"),
    route("export/json", events.EventExportView, "export-json"),
]
