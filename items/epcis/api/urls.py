from django.urls import re_path

from items.epcis.api import subscriptions, views

urlpatterns = [
    re_path(r"^capture/?$", views.CaptureView.as_view(), name="epcis-capture"),
    re_path(
        r"^capture/(?P<capture_id>[^/]+)/?$",
        views.CaptureDetailView.as_view(),
        name="epcis-capture-detail",
    ),
    re_path(r"^events/?$", views.EventsView.as_view(), name="epcis-events"),
    # An eventID may hold slashes (``ni:///sha-256;...``): the rest of the path is the id.
    re_path(r"^events/(?P<event_id>.+?)/?$", views.EventDetailView.as_view(), name="epcis-event"),
    re_path(r"^epcs/(?P<epc>.+)/events/?$", views.EpcEventsView.as_view(), name="epcis-epc-events"),
    re_path(
        r"^items/(?P<dfid>[^/]+)/export/?$",
        views.ItemExportView.as_view(),
        name="epcis-item-export",
    ),
    re_path(r"^queries/?$", views.QueriesView.as_view(), name="epcis-queries"),
    re_path(
        r"^queries/(?P<query_name>[^/]+)/subscriptions/?$",
        subscriptions.SubscriptionsView.as_view(),
        name="epcis-query-subscriptions",
    ),
    re_path(
        r"^queries/(?P<query_name>[^/]+)/subscriptions/(?P<subscription_id>[^/]+)/?$",
        subscriptions.SubscriptionDetailView.as_view(),
        name="epcis-query-subscription-detail",
    ),
    re_path(
        r"^queries/(?P<query_name>[^/]+)/events/?$",
        views.QueryEventsView.as_view(),
        name="epcis-query-events",
    ),
    re_path(
        r"^queries/(?P<query_name>[^/]+)/?$",
        views.QueryDetailView.as_view(),
        name="epcis-query-detail",
    ),
    re_path(r"^eventTypes/?$", views.EventTypesView.as_view(), name="epcis-event-types"),
    re_path(r"^bizSteps/?$", views.BizStepsView.as_view(), name="epcis-biz-steps"),
    re_path(r"^bizLocations/?$", views.BizLocationsView.as_view(), name="epcis-biz-locations"),
    re_path(r"^readPoints/?$", views.ReadPointsView.as_view(), name="epcis-read-points"),
    re_path(r"^dispositions/?$", views.DispositionsView.as_view(), name="epcis-dispositions"),
]
