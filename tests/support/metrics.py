"""Reading /metrics as an operator's Prometheus does."""

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "scrape-token-0123456789"


def samples(text: str) -> dict[str, float]:
    """Each sample as name{label="value",...} -> value, labels sorted."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found
