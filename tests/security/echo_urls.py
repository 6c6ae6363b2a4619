"""A URLconf with one DRF endpoint that parses a JSON body, for the body-size tests."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class EchoView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def post(self, request):
        return Response({"keys": sorted(request.data)})


urlpatterns = [path("api/echo", EchoView.as_view())]
