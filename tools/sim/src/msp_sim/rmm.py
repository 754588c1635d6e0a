"""The RMM's monthly software audit of every managed device (Datto RMM style).

Devices are the client's endpoints (about 1.2-1.6 per user; the first ones belong to users, so
the last logged-in user ties a device to a licence seat) plus its servers. The installed list is
a full snapshot; browser and agent versions move month to month as they would.
"""

from __future__ import annotations

from datetime import date, timedelta

from msp_events.types.rmm import InstalledSoftware, SoftwareInventoried

from msp_sim.context import MonthContext
from msp_sim.licensing import sync_day
from msp_sim.rng import stable_uuid, stream
from msp_sim.timeline import utc_midnight
from msp_sim.world import Client

RMM_SOURCE = "rmm.datto"
DESKTOP_APPS_SKUS = ("O365_BUSINESS_PREMIUM", "SPB", "SPE_E3")


def _software(
    seed: int, client: Client, index: int, server: bool, months_in: int, installed: date
) -> list[InstalledSoftware]:
    rng = stream(seed, "software-mix", client.client_id, index)
    chrome = f"{126 + months_in}.0.{6400 + rng.randint(0, 90)}.{rng.randint(10, 200)}"
    apps = [
        InstalledSoftware(
            name="Datto RMM Agent",
            publisher="Datto, Inc.",
            version=f"4.{4 + months_in // 6}.{months_in % 6}",
            installed_on=installed,
        ),
        InstalledSoftware(
            name="SentinelOne Agent",
            publisher="SentinelOne",
            version=f"23.{1 + months_in % 4}.2",
            installed_on=installed,
        ),
    ]
    if server:
        apps.append(
            InstalledSoftware(
                name="Datto Backup Agent", publisher="Datto, Inc.", version="2.9.1", installed_on=installed
            )
        )
        return apps
    apps += [
        InstalledSoftware(
            name="Google Chrome", publisher="Google LLC", version=chrome, installed_on=installed
        ),
        InstalledSoftware(
            name="Microsoft Edge",
            publisher="Microsoft Corporation",
            version=f"{126 + months_in}.0.2592.{rng.randint(50, 99)}",
            installed_on=installed,
        ),
        InstalledSoftware(
            name="Adobe Acrobat Reader DC",
            publisher="Adobe Inc.",
            version="24.002.20933",
            installed_on=installed,
        ),
    ]
    if any(s.sku.part_number in DESKTOP_APPS_SKUS for s in client.subscriptions):
        apps.append(
            InstalledSoftware(
                name="Microsoft 365 Apps for business",
                publisher="Microsoft Corporation",
                version="16.0.17726",
                installed_on=installed,
            )
        )
    if rng.random() < 0.4:
        apps.append(
            InstalledSoftware(
                name="Zoom Workplace",
                publisher="Zoom Video Communications, Inc.",
                version="6.1.1",
                installed_on=installed,
            )
        )
    if client.industry == "Professional Services" and rng.random() < 0.35:
        apps.append(
            InstalledSoftware(
                name="Adobe Acrobat Pro",
                publisher="Adobe Inc.",
                version="24.002.20933",
                installed_on=installed,
            )
        )
    if client.industry in ("Healthcare",) and rng.random() < 0.8:
        apps.append(
            InstalledSoftware(
                name="Dentrix Enterprise",
                publisher="Henry Schein One",
                version="11.0.2",
                installed_on=installed,
            )
        )
    return apps


def generate(ctx: MonthContext) -> None:
    for client in ctx.world.clients:
        day = sync_day(client, ctx.first)
        if not ctx.active(client.client_id, day):
            continue
        at = utc_midnight(day) + timedelta(hours=4, minutes=client.number % 60)
        n_users = len(client.users)
        prefix = client.domain.split(".")[0][:8].upper()
        for index in range(client.endpoints + client.servers):
            server = index >= client.endpoints
            rng = stream(ctx.seed, "device", client.client_id, index)
            installed = client.created_on + timedelta(days=rng.randint(0, 400))
            owner = client.users[index].upn if index < n_users else None
            kind = "server" if server else ("laptop" if rng.random() < 0.55 else "workstation")
            os_name = (
                "Windows Server 2022 Standard"
                if server
                else rng.choice(("Windows 11 Pro 23H2", "Windows 11 Pro 23H2", "Windows 10 Pro 22H2"))
            )
            ctx.emit(
                SoftwareInventoried(
                    device_id=stable_uuid(ctx.seed, "device", client.client_id, index),
                    client_id=client.client_id,
                    hostname=f"{prefix}-{'SRV' if server else 'PC'}{index + 1:03d}",
                    device_type=kind,
                    os_name=os_name,
                    last_logged_in_user=owner,
                    software=_software(ctx.seed, client, index, server, ctx.index, installed),
                    observed_at=at,
                ),
                source=RMM_SOURCE,
                time=at,
            )
