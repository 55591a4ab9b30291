from django.http import HttpRequest

from . import captcha


def captcha_script(request: HttpRequest) -> dict:
    """The captcha widget's script, once per page, when a captcha provider is configured."""
    chosen = captcha.provider()
    return {"captcha_script": chosen.script if chosen else ""}
