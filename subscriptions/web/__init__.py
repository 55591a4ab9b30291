"""What answers a request: the public pages and their forms, the links in emails, the preference
center, the page that shows an email, and the receivers of the provider's webhooks. An entry
point: it calls the flows (services) and the guards, and nothing below imports it."""
