"""What mailbox providers are known to do with the spellings of an address: which ones reach
one mailbox. The inbox key (validation.inbox_key) folds them, so the daily cap and the cooldown
count per mailbox; only where a provider documents it is a bounce taken for the whole mailbox.

A table, not a library: the libraries that normalise addresses by provider (email-normalize)
find the provider from the domain's MX records, a DNS look-up per sign-up.
"""

# Google delivers every dotted spelling of a Gmail address, and every +tag, to one mailbox;
# googlemail.com is gmail.com.
GMAIL = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}

# Fastmail's own domains, those a user picks an address at. Fastmail documents plus addressing
# (user+anything@domain) and subdomain addressing (anything@user.domain, delivered as
# user+anything@domain) on all of them, with nothing to set up: "Plus addressing and subdomain
# addressing", fastmail.help. Its customers' own domains can do the same, but nothing in an
# address says which those are.
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


def fold(local: str, domain: str) -> tuple[str, str]:
    """The mailbox a (case-folded) local part and domain reach, at the providers above."""
    if domain in GMAIL:
        return local.replace(".", ""), GMAIL[domain]
    user, _, base = domain.partition(".")
    if base in FASTMAIL:
        # anything@user.fastmail.com is user@fastmail.com. A deeper subdomain (a@b.c.fastmail.com)
        # names no one username: left as it is.
        return user, base
    return local, domain


def delivers_every_spelling(domain: str) -> bool:
    """Whether every spelling the inbox key folds at `domain` (case, +tag, Gmail's dots) is
    documented to reach one mailbox, with nothing for the user to set up. A Fastmail subdomain
    is not: Fastmail names usernames that can't use subdomain addressing, so a bounce of
    x@bob.fastmail.com says nothing of bob@fastmail.com."""
    return domain in GMAIL or domain in FASTMAIL
