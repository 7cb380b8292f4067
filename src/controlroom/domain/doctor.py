"""``controlroom doctor``'s judgements: what a deployment's settings and probes mean, and what to
fix. Pure: the probes (database, Redis, tile server, what3words, model files) are adapters,
and their results are passed in."""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass

from controlroom.domain.sizing import RESERVED_CONNECTIONS, Sizing

#: A secret shorter than this is refused (the settings ask for 32+ random characters).
MIN_SECRET_LENGTH = 32
#: Clock skew against the database server: a warning from, a failure from (seconds).
SKEW_WARN_SECONDS = 1.0
SKEW_FAIL_SECONDS = 5.0
#: Words that mark a secret copied from an example rather than generated.
PLACEHOLDERS = ("change", "example", "secret", "password", "default", "xxxx", "test", "demo")


class Level(enum.StrEnum):
    """How bad a finding is: only ``FAIL`` makes ``doctor`` exit 1."""

    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    """One check's result: what was found and, unless it is ok, how to fix it."""

    level: Level
    name: str
    found: str
    fix: str = ""

    def line(self, width: int = 14) -> str:
        """``ok|warn|FAIL  name  what was found — how to fix``."""
        fix = f" — {self.fix}" if self.fix else ""
        return f"{self.level.value:<4}  {self.name:<{width}}  {self.found}{fix}"

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level.value, "name": self.name, "found": self.found, "fix": self.fix}


def ok(name: str, found: str) -> Finding:
    return Finding(Level.OK, name, found)


def warn(name: str, found: str, fix: str) -> Finding:
    return Finding(Level.WARN, name, found, fix)


def fail(name: str, found: str, fix: str) -> Finding:
    return Finding(Level.FAIL, name, found, fix)


def check_secret(name: str, variable: str, value: str | None, purpose: str) -> Finding:
    """A signing key: set, long enough, not a placeholder. The value is never shown."""
    make = f"set {variable} to 32+ random characters (e.g. `openssl rand -base64 48`), the same "
    make += "on every instance"
    if not value:
        return fail(name, f"{variable} is not set: {purpose}", make)
    if len(value) < MIN_SECRET_LENGTH:
        return fail(name, f"{variable} is only {len(value)} characters", make)
    lowered = value.lower()
    if any(word in lowered for word in PLACEHOLDERS) or len(set(value)) < 8:
        return fail(name, f"{variable} looks like a placeholder, not a random key", make)
    return ok(name, f"{variable} set ({len(value)} characters)")


def check_demo(demo: bool) -> Finding:
    if demo:
        return fail(
            "demo",
            "CONTROLROOM_DEMO is true: an empty database gets demo users with published passwords",
            "set CONTROLROOM_DEMO=false",
        )
    return ok("demo", "demo data off")


def check_cookies(secure_cookies: bool, trusted_proxies: str) -> Finding:
    if secure_cookies:
        return ok("cookies", "console cookies are Secure (CONTROLROOM_SECURE_COOKIES=true)")
    fix = "serve behind HTTPS and set CONTROLROOM_SECURE_COOKIES=true"
    if trusted_proxies.strip():
        return warn(
            "cookies",
            "cookies are Secure only on requests the trusted proxy marks https",
            fix,
        )
    return warn("cookies", "cookies are not Secure: served without TLS?", fix)


def check_proxies(trusted_proxies: str) -> Finding:
    """Forwarded headers believed only from the listed addresses."""
    entries = [entry.strip() for entry in trusted_proxies.split(",") if entry.strip()]
    if not entries:
        return ok("proxy trust", "no proxy trusted: X-Forwarded-* headers are ignored")
    fix = "list only the reverse proxy's addresses in CONTROLROOM_TRUSTED_PROXIES"
    if "*" in entries:
        return fail("proxy trust", "'*' trusts X-Forwarded-For from every client", fix)
    wide: list[str] = []
    for entry in entries:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return fail("proxy trust", f"{entry!r} is not an IP address or network", fix)
        if network.num_addresses > 256:
            wide.append(entry)
    if wide:
        return warn("proxy trust", f"{', '.join(wide)} trusts more than 256 addresses", fix)
    return ok("proxy trust", f"X-Forwarded-* believed only from {', '.join(entries)}")


def check_oidc(issuer: str | None, client_id: str, client_secret: str) -> Finding:
    """Single sign-on: an HTTPS issuer, with the console's client id and secret."""
    if not issuer:
        return ok("single sign-on", "not configured: console passwords only")
    fix = "set CONTROLROOM_OIDC_ISSUER (https://), CONTROLROOM_OIDC_CLIENT_ID and "
    fix += "CONTROLROOM_OIDC_CLIENT_SECRET as the provider registered the console"
    local = issuer.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]"))
    if not issuer.startswith("https://") and not local:
        return fail("single sign-on", f"the issuer {issuer!r} is not https://", fix)
    missing = [
        name
        for name, value in (("CLIENT_ID", client_id), ("CLIENT_SECRET", client_secret))
        if not value
    ]
    if missing:
        names = " and ".join(f"CONTROLROOM_OIDC_{name}" for name in missing)
        return fail("single sign-on", f"{names} not set", fix)
    return ok("single sign-on", f"issuer {issuer}, client {client_id}")


def check_schema(current: str | None, head: str, known: bool) -> Finding:
    """The database's revision against this version's."""
    if current == head:
        return ok("schema", f"revision {head} (this version's)")
    if current is None:
        return fail("schema", "the database has no schema", "run: controlroom db upgrade")
    if not known:
        return fail(
            "schema",
            f"revision {current} is newer than this version knows (head {head})",
            "run the controlroom version that migrated it, or upgrade this one",
        )
    return fail(
        "schema", f"revision {current}, this version's is {head}", "run: controlroom db upgrade"
    )


def check_clock(skew_seconds: float | None, kind: str) -> Finding:
    """This machine's clock against the database server's."""
    if skew_seconds is None:
        return ok("clock", f"{kind}: the database's clock is this machine's")
    shown = f"this machine's clock is {abs(skew_seconds):.1f} s "
    shown += "ahead of" if skew_seconds > 0 else "behind"
    shown += " the database server's"
    fix = "synchronise both with NTP (systemd-timesyncd or chrony)"
    if abs(skew_seconds) >= SKEW_FAIL_SECONDS:
        return fail("clock", shown, fix)
    if abs(skew_seconds) >= SKEW_WARN_SECONDS:
        return warn("clock", shown, fix)
    return ok("clock", f"within {SKEW_WARN_SECONDS:g} s of the database server's")


def exit_code(findings: list[Finding]) -> int:
    """0 when nothing failed, 1 otherwise."""
    return 1 if any(finding.level is Level.FAIL for finding in findings) else 0


def check_sizing(sizing: Sizing) -> Finding:
    """The pools this instance will use: within PostgreSQL's ``max_connections`` (less a
    reserve) with every instance counted, and no more instances than the machine suits."""
    found = sizing.describe()
    if sizing.excess:
        return warn(
            "sizing",
            f"{found}: {sizing.instances * sizing.hosts} instances may open {sizing.excess} "
            f"connections more than PostgreSQL's max_connections ({sizing.max_connections}) "
            f"less {RESERVED_CONNECTIONS} kept for administration",
            "unset CONTROLROOM_DB_POOL_SIZE and CONTROLROOM_DB_POOL_OVERFLOW (they are then "
            "sized to fit), run fewer instances, or raise max_connections",
        )
    if sizing.instances > sizing.recommended_instances:
        return warn(
            "sizing",
            f"{found}: more instances than this machine's cores and memory suit",
            f"run at most {sizing.recommended_instances} instances here "
            "(CONTROLROOM_INSTANCES says how many run)",
        )
    return ok("sizing", found)
