"""What stands between the public and the flows: the abuse pipeline (form token, timing,
captcha, per-IP limits), where a request comes from, and what makes an address acceptable
(syntax, typos of big mailbox providers)."""
