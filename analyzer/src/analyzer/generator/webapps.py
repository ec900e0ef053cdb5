"""Request builders for the other geOrchestra applications and the platform's static files.

GeoNetwork, datahub, MapStore, console, CAS login, cadastrapp, mviewer, extractorapp,
import/datafeeder; targets are what reaches the server (URL fragments never do).
"""

from __future__ import annotations

from random import Random

from analyzer.generator import data
from analyzer.generator.model import Client, Req, choose


def gn_record(rng: Random, client: Client) -> Req:
    uuid = choose(rng, data.METADATA_UUIDS)
    return Req("GET", f"/geonetwork/srv/api/records/{uuid}", "geonetwork", "api")


def gn_export(rng: Random, client: Client) -> Req:
    uuid = choose(rng, data.METADATA_UUIDS)
    if rng.random() < 0.6:
        suffix = "formatters/xml?approved=true"
    else:
        suffix = "formatters/xsl-view?root=div&output=pdf&language=fre"
    return Req("GET", f"/geonetwork/srv/api/records/{uuid}/{suffix}", "geonetwork", "export")


def gn_attachment(rng: Random, client: Client) -> Req:
    uuid = choose(rng, data.METADATA_UUIDS)
    name = choose(rng, data.ATTACHMENTS)
    return Req(
        "GET", f"/geonetwork/srv/api/records/{uuid}/attachments/{name}", "geonetwork", "export"
    )


def gn_search(rng: Random, client: Client) -> Req:
    return Req(
        "POST", "/geonetwork/srv/api/search/records/_search?bucket=s101", "geonetwork", "search"
    )


def gn_page(rng: Random, client: Client) -> Req:
    lang = choose(rng, ("fre", "eng"))
    return Req("GET", f"/geonetwork/srv/{lang}/catalog.search", "geonetwork", "page")


def csw(rng: Random, client: Client) -> Req:
    query = (
        "service=CSW&version=2.0.2&request=GetRecords&typeNames=csw:Record"
        "&resultType=results&elementSetName=full&maxRecords=50"
        f"&startPosition={1 + 50 * rng.randrange(10)}"
    )
    return Req("GET", f"/geonetwork/srv/fre/csw?{query}", "geonetwork", "search")


def datahub_page(rng: Random, client: Client) -> Req:
    target = choose(rng, ("/datahub/", "/datahub/search", "/datahub/news"))
    if target == "/datahub/search":
        target += f"?q={choose(rng, data.SEARCH_TERMS)}"
    return Req("GET", target, "datahub", "page")


def datahub_dataset(rng: Random, client: Client) -> Req:
    return Req("GET", f"/datahub/dataset/{choose(rng, data.METADATA_UUIDS)}", "datahub", "page")


def mapstore_page(rng: Random, client: Client) -> Req:
    return Req("GET", choose(rng, ("/mapstore/", "/mapstore/index.html")), "mapstore", "page")


def mapstore_api(rng: Random, client: Client) -> Req:
    if rng.random() < 0.5:
        context = choose(rng, data.MAPSTORE_CONTEXTS)
        path = f"/mapstore/rest/geostore/misc/category/name/CONTEXT/resource/name/{context}/data"
        return Req("GET", path, "mapstore", "api")
    path = (
        "/mapstore/rest/geostore/extjs/search/category/MAP/***/thumbnail,details,featured"
        f"?includeAttributes=true&start={12 * rng.randrange(4)}&limit=12"
    )
    return Req("GET", path, "mapstore", "api")


def console_account(rng: Random, client: Client) -> Req:
    path = choose(
        rng,
        ("/console/account/userdetails", "/console/account/changePassword", "/console/manager/"),
    )
    return Req("GET", path, "console", "page")


def login(rng: Random, client: Client) -> Req:
    if rng.random() < 0.5:
        return Req("GET", "/login", "login", "login")
    return Req("POST", "/login", "login", "login")


def cas(rng: Random, client: Client) -> Req:
    return Req(
        "GET", "/cas/login?service=https%3A%2F%2Fexample.org%2Fmapstore%2F", "login", "login"
    )


def cadastrapp(rng: Random, client: Client) -> Req:
    commune = choose(rng, data.COMMUNES)
    parcel = f"{commune}000{choose(rng, 'ABCDE')}{choose(rng, 'BCKZ')}{rng.randrange(1, 999):04d}"
    target = choose(
        rng,
        (
            f"/cadastrapp/services/getParcelle?parcelle={parcel}",
            f"/cadastrapp/services/getCommune?cgocommune={commune}",
            f"/cadastrapp/services/createBordereauParcellaire?parcelle={parcel}&personnal=0",
        ),
    )
    profile = "export" if "Bordereau" in target else "api"
    return Req("GET", target, "cadastrapp", profile)


def mviewer(rng: Random, client: Client) -> Req:
    app = choose(rng, data.MVIEWER_APPS)
    target = choose(
        rng, (f"/mviewer/?config=apps/public/{app}.xml", f"/mviewer/apps/public/{app}.xml")
    )
    return Req("GET", target, "mviewer", "page")


def extractorapp(rng: Random, client: Client) -> Req:
    if rng.random() < 0.3:
        return Req("POST", "/extractorapp/extractor/initiate", "extractorapp", "export")
    return Req("GET", "/extractorapp/", "extractorapp", "page")


def import_(rng: Random, client: Client) -> Req:
    if rng.random() < 0.3:
        return Req("POST", "/datafeeder/api/uploads", "import", "export")
    return Req("GET", choose(rng, ("/import/", "/datafeeder/")), "import", "page")


def static(rng: Random, client: Client) -> Req:
    target = choose(rng, data.STATIC_ASSETS)
    app = target.split("/", 2)[1] or "other"
    return Req("GET", target, app if app in data.UPSTREAMS else "other", "static")


def robots(rng: Random, client: Client) -> Req:
    return Req("GET", "/robots.txt", "other", "static")


def sitemap(rng: Random, client: Client) -> Req:
    return Req("GET", "/geonetwork/srv/api/sitemap", "geonetwork", "api")


def scan(rng: Random, client: Client) -> Req:
    """A vulnerability scanner trying well-known paths."""
    target = choose(rng, ("/.env", "/wp-login.php", "/geoserver/web/", "/"))
    return Req("GET", target, "geoserver" if "geoserver" in target else "other", "static")
