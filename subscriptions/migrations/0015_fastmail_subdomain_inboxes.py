# Issue 20 item 11: Fastmail's subdomain addressing (anything@user.fastmail.com is
# user@fastmail.com) now folds into the inbox key. Rows keyed before are re-keyed, so the daily
# cap and the cooldown count a stored subdomain spelling with its inbox from now on: the
# subscribers' inbox keys (and the Inbox rows sign-ups lock), provider events and suppressions.
# The key function is copied here, as it was when this migration was written.
#
# Erased inboxes are stored as a keyed hash of the old key and can't be re-keyed: an erased
# subdomain spelling is still recognised by the old hash only where the key didn't change.

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

FASTMAIL = frozenset(
    [
        "fastmail.com",
        "fastmail.fm",
        "fastmail.cn",
        "fastmail.co.uk",
        "fastmail.com.au",
        "fastmail.de",
        "fastmail.es",
        "fastmail.fr",
        "fastmail.im",
        "fastmail.in",
        "fastmail.jp",
        "fastmail.mx",
        "fastmail.net",
        "fastmail.nl",
        "fastmail.org",
        "fastmail.se",
        "fastmail.to",
        "fastmail.tw",
        "fastmail.uk",
        "fastmail.us",
        "123mail.org",
        "150mail.com",
        "150ml.com",
        "16mail.com",
        "2-mail.com",
        "4email.net",
        "50mail.com",
        "airpost.net",
        "allmail.net",
        "bestmail.us",
        "cluemail.com",
        "elitemail.org",
        "emailcorner.net",
        "emailengine.net",
        "emailengine.org",
        "emailgroups.net",
        "emailplus.org",
        "emailuser.net",
        "eml.cc",
        "f-m.fm",
        "fast-email.com",
        "fast-mail.org",
        "fastem.com",
        "fastemail.us",
        "fastemailer.com",
        "fastest.cc",
        "fastimap.com",
        "fastmailbox.net",
        "fastmessaging.com",
        "fea.st",
        "fmail.co.uk",
        "fmailbox.com",
        "fmgirl.com",
        "fmguy.com",
        "ftml.net",
        "h-mail.us",
        "hailmail.net",
        "imap-mail.com",
        "imap.cc",
        "imapmail.org",
        "inoutbox.com",
        "internet-e-mail.com",
        "internet-mail.org",
        "internetemails.net",
        "internetmailing.net",
        "jetemail.net",
        "justemail.net",
        "letterboxes.org",
        "mail-central.com",
        "mail-page.com",
        "mailandftp.com",
        "mailas.com",
        "mailbolt.com",
        "mailc.net",
        "mailcan.com",
        "mailforce.net",
        "mailftp.com",
        "mailhaven.com",
        "mailingaddress.org",
        "mailite.com",
        "mailmight.com",
        "mailnew.com",
        "mailsent.net",
        "mailservice.ms",
        "mailup.net",
        "mailworks.org",
        "ml1.net",
        "mm.st",
        "myfastmail.com",
        "mymacmail.com",
        "nospammail.net",
        "ownmail.net",
        "petml.com",
        "postinbox.com",
        "postpro.net",
        "proinbox.com",
        "promessage.com",
        "realemail.net",
        "reallyfast.biz",
        "reallyfast.info",
        "rushpost.com",
        "sent.as",
        "sent.at",
        "sent.com",
        "speedpost.net",
        "speedymail.org",
        "ssl-mail.com",
        "swift-mail.com",
        "the-fastest.net",
        "the-quickest.com",
        "theinternetemail.com",
        "veryfast.biz",
        "veryspeedy.net",
        "warpmail.net",
        "xsmail.com",
        "yepmail.net",
        "your-mail.com",
    ]
)


def rekey(inbox):
    """The new key of an old inbox key (already case-folded and without a +tag)."""
    domain = inbox.rpartition("@")[2]
    user, _, base = domain.partition(".")
    return f"{user}@{base}" if user and base in FASTMAIL else inbox


def on_a_subdomain(field):
    """Rows whose `field` may be a Fastmail subdomain spelling: a short scan, not the table."""
    query = Q()
    for base in FASTMAIL:
        query |= Q(**{f"{field}__endswith": f".{base}"})
    return query


def rekey_rows(model, field):
    changed = []
    for row in model.objects.filter(on_a_subdomain(field)).order_by("pk").iterator():
        new = rekey(getattr(row, field))
        if new != getattr(row, field):
            setattr(row, field, new)
            changed.append(row)
    model.objects.bulk_update(changed, [field], batch_size=1000)
    return changed


def fold_fastmail_subdomains(apps, schema_editor):
    Subscriber = apps.get_model("subscriptions", "Subscriber")
    Inbox = apps.get_model("subscriptions", "Inbox")
    moved = rekey_rows(Subscriber, "inbox_key")
    for key in {s.inbox_key for s in moved}:
        Inbox.objects.get_or_create(key=key)
    # The old inboxes' rows name an address no subscriber's spelling reaches any more.
    Inbox.objects.filter(on_a_subdomain("key")).exclude(
        key__in=Subscriber.objects.values("inbox_key")
    ).delete()
    rekey_rows(apps.get_model("subscriptions", "ProviderEvent"), "inbox_key")
    _rekey_suppressions(apps.get_model("subscriptions", "Suppression"))


def _rekey_suppressions(Suppression):
    # Two spellings' active suppressions of the whole inbox now name one inbox: the older
    # stands, the later is closed, which changes nothing for the inbox.
    now = timezone.now()
    for row in Suppression.objects.filter(on_a_subdomain("inbox_key")).order_by("created_at"):
        new = rekey(row.inbox_key)
        if new == row.inbox_key:
            continue
        twin = Suppression.objects.filter(
            inbox_key=new, address_key=row.address_key, lifted_at__isnull=True
        )
        if row.lifted_at is None and twin.exists():
            row.lifted_at, row.lifted_by = now, "system: the same inbox's suppression stands"
        row.inbox_key = new
        row.save(update_fields=["inbox_key", "lifted_at", "lifted_by"])


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0014_suppression_per_spelling")]

    operations = [migrations.RunPython(fold_fastmail_subdomains, migrations.RunPython.noop)]
