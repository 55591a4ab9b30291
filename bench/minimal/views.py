"""The baseline the sign-up endpoint is measured against: what Django itself does for a sign-up
with form validation and one INSERT, under the same settings, middleware and database."""

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import MinimalSignUp


class MinimalForm(forms.Form):
    email = forms.EmailField()
    newsletter = forms.SlugField(max_length=50)


@csrf_exempt
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    form = MinimalForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"ok": False, "errors": form.errors}, status=400)
    MinimalSignUp.objects.create(**form.cleaned_data)
    return JsonResponse({"ok": True})
