"""The current user's profile and credits, mounted at the root (no ``/api`` prefix) as the
earlier engine served them."""

from django.urls import re_path

from accounts.api import views

urlpatterns = [
    re_path(r"^users/me/profile/?$", views.MyProfileView.as_view(), name="users-me-profile"),
    re_path(
        r"^users/me/credits/balance/?$",
        views.MyCreditBalanceView.as_view(),
        name="users-me-credits-balance",
    ),
    re_path(
        r"^users/me/credits/history/?$",
        views.MyCreditHistoryView.as_view(),
        name="users-me-credits-history",
    ),
    re_path(
        r"^users/me/credits/costs/?$",
        views.MyCreditCostsView.as_view(),
        name="users-me-credits-costs",
    ),
    re_path(
        r"^credit/users/current/?$",
        views.CurrentCreditUserView.as_view(),
        name="credit-users-current",
    ),
]
