#!/usr/bin/env python3
"""gen_demo.py - writes share/demo/demo.json, the demo community that
`mreza init --demo` loads (see src/cli/cli_demo.c).

Everything here is FICTIONAL demo data, not intelligence: addresses come from the
documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32),
domains end in .example / example.com / example.net / example.org, hashes are
SHA-256 of made-up labels, and the operators of essential services do not exist.

The output is deterministic: ids are uuid5 of fixed names under a fixed namespace
(SCO ids follow the STIX 2.1 deterministic-id rule), timestamps are fixed.

Usage: python3 scripts/gen_demo.py [output]   (default: share/demo/demo.json)
"""
import datetime as dt
import hashlib
import json
import os
import sys
import uuid

# ---------------------------------------------------------------------------
# Data tables
# ---------------------------------------------------------------------------

NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://mreza.example/demo")
STIX_SCO_NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # STIX 2.1 §2.9

TLP = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    None: None,  # unmarked: the node files it as TLP:AMBER+STRICT and says so
}

# (handle, full name, country, sector, kind)
ORGS = [
    ("al-cert", "ALCIRT, National Agency for Cyber Security (AKSK), Albania", "AL", "government", "national-csirt"),
    ("ba-cert", "BA-CERT, national CERT of Bosnia and Herzegovina (demo placeholder)", "BA", "government", "national-csirt"),
    ("hr-cert", "CARNET National CERT (HR-CERT), Croatia", "HR", "government", "national-csirt"),
    ("kos-cert", "KOS-CERT, national CERT of Kosovo*", "XK", "government", "national-csirt"),
    ("me-cirt", "CIRT.ME, national CIRT of Montenegro", "ME", "government", "national-csirt"),
    ("mkd-cirt", "MKD-CIRT, national CIRT of North Macedonia", "MK", "government", "national-csirt"),
    ("rs-cert", "National CERT of the Republic of Serbia (RATEL)", "RS", "government", "national-csirt"),
    ("rs-police-htcu", "High-Tech Crime Unit, Ministry of Interior of Serbia (demo)", "RS", "law-enforcement", "police"),
    ("me-bank", "Banka Primjer a.d. Podgorica (fictional demo bank)", "ME", "banking", "operator"),
    ("mk-power", "Elektro Primer DOOEL Skopje (fictional demo electricity distributor)", "MK", "energy", "operator"),
    ("al-hospital", "Spitali Shembull, Tirana (fictional demo hospital)", "AL", "health", "operator"),
]

# (user name, org, role). The first four rows are THE demo keys, one per role,
# so they are printed first by `mreza init --demo`; the rest fill the community.
# The demo's admin is the node admin of the hosting CSIRT (it adds organisations).
USERS = [
    ("admin@rs-cert", "rs-cert", "node-admin"),
    ("analyst@me-cirt", "me-cirt", "analyst"),
    ("reporter@me-bank", "me-bank", "reporter"),
    ("viewer@hr-cert", "hr-cert", "viewer"),
    ("analyst@al-cert", "al-cert", "analyst"),
    ("analyst@ba-cert", "ba-cert", "analyst"),
    ("analyst@hr-cert", "hr-cert", "analyst"),
    ("analyst@kos-cert", "kos-cert", "analyst"),
    ("analyst@mkd-cirt", "mkd-cirt", "analyst"),
    ("analyst@rs-cert", "rs-cert", "analyst"),
    ("analyst@rs-police-htcu", "rs-police-htcu", "analyst"),
    ("reporter@mk-power", "mk-power", "reporter"),
    ("reporter@al-hospital", "al-hospital", "reporter"),
]

DEMO = "Fictional demo data for the mreža demo community; not real intelligence."

# The regional campaign: one phishing domain reported by three CSIRTs of three
# countries within 48 hours, each as its own GREEN indicator.
CAMPAIGN_DOMAIN = "secure-login-bank.example"
CAMPAIGN_IP = "203.0.113.7"
CAMPAIGN_REPORTS = [  # (user, first seen by that CSIRT)
    ("analyst@al-cert", "2025-03-10 08:14"),
    ("analyst@me-cirt", "2025-03-11 06:40"),
    ("analyst@mkd-cirt", "2025-03-11 19:05"),
]

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

ORG_OF = {u: o for u, o, _ in USERS}


def sid(stix_type, name):
    """A fixed STIX id: <type>--uuid5(NS, "<type>:<name>")."""
    return "%s--%s" % (stix_type, uuid.uuid5(NS, "%s:%s" % (stix_type, name)))


def org_ident(handle):
    return sid("identity", "org:" + handle)


def user_ident(name):
    return sid("identity", "user:" + name)


def sco_id(stix_type, value):
    """STIX 2.1 deterministic SCO id from the canonical JSON of {"value": ...}."""
    canon = json.dumps({"value": value}, separators=(",", ":"), ensure_ascii=False)
    return "%s--%s" % (stix_type, uuid.uuid5(STIX_SCO_NS, canon))


def ts(when, plus_days=0):
    """'2025-03-10 08:14' -> '2025-03-10T08:14:00.000Z' (optionally shifted)."""
    t = dt.datetime.strptime(when, "%Y-%m-%d %H:%M") + dt.timedelta(days=plus_days)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def fake_sha256(label):
    return hashlib.sha256(("mreza-demo:" + label).encode()).hexdigest()


def sdo(stix_type, key, user, when, tlp, to=None, modified=None, **props):
    """A STIX 2.1 SDO/SRO submitted by user: created_by_ref is the user's org.
    tlp is a key of TLP; to lists recipient identity ids (x_mreza_recipient_refs)."""
    obj = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": sid(stix_type, key),
        "created": ts(when),
        "modified": ts(modified or when),
        "created_by_ref": org_ident(ORG_OF[user]),
    }
    obj.update(props)
    if TLP[tlp]:
        obj["object_marking_refs"] = [TLP[tlp]]
    if to:
        obj["x_mreza_recipient_refs"] = list(to)
    return obj


def sco(stix_type, value, tlp):
    obj = {"type": stix_type, "spec_version": "2.1", "id": sco_id(stix_type, value), "value": value}
    if TLP[tlp]:
        obj["object_marking_refs"] = [TLP[tlp]]
    return obj


PATTERN = {
    "ipv4": "[ipv4-addr:value = '%s']",
    "ipv6": "[ipv6-addr:value = '%s']",
    "domain": "[domain-name:value = '%s']",
    "url": "[url:value = '%s']",
    "email": "[email-addr:value = '%s']",
    "sha256": "[file:hashes.'SHA-256' = '%s']",
}


def indicator(key, user, when, tlp, kind, value, name, days=None, types=("malicious-activity",), **kw):
    # No valid_until unless asked: the demo's indicators stay live for matching;
    # ones given `days` show expiry (they are past by now and never match).
    if days is not None:
        kw["valid_until"] = ts(when, days)
    return sdo("indicator", key, user, when, tlp,
               name=name, description=DEMO, indicator_types=list(types),
               pattern=PATTERN[kind] % value, pattern_type="stix",
               valid_from=ts(when), **kw)


def incident(key, user, when, tlp, name, description, **kw):
    return sdo("incident", key, user, when, tlp, name=name,
               description=description + " " + DEMO, **kw)


def relationship(key, user, when, tlp, src, rel, dst):
    return sdo("relationship", key, user, when, tlp,
               relationship_type=rel, source_ref=src["id"], target_ref=dst["id"])


def sighting(key, user, when, last, tlp, of, where, count, **kw):
    return sdo("sighting", key, user, last, tlp, sighting_of_ref=of["id"],
               first_seen=ts(when), last_seen=ts(last), count=count,
               where_sighted_refs=list(where), **kw)


def note(key, user, when, tlp, abstract, content, refs, **kw):
    return sdo("note", key, user, when, tlp, abstract=abstract,
               content=content + " " + DEMO, object_refs=[r["id"] for r in refs], **kw)


# ---------------------------------------------------------------------------
# The scenario, in submission order (referenced objects first)
# ---------------------------------------------------------------------------


def scenario():
    bundles = []  # (user, [objects])
    O, U = org_ident, user_ident

    # rs-cert: public (CLEAR) advisory on the BalkanLoader phishing wave.
    u = "analyst@rs-cert"
    mal = sdo("malware", "balkanloader", u, "2025-03-07 09:00", "clear",
              name="BalkanLoader (demo)", is_family=True, malware_types=["downloader", "trojan"],
              description="Fictional downloader delivered by invoice-themed phishing. " + DEMO)
    h_drop = indicator("rs-balkanloader-dropper", u, "2025-03-07 09:05", "clear", "sha256",
                       fake_sha256("balkanloader-dropper"), "BalkanLoader dropper (Faktura_0325.js)", days=180)
    r1 = relationship("rs-drop-indicates", u, "2025-03-07 09:06", "clear", h_drop, "indicates", mal)
    c2_url = indicator("rs-balkanloader-gate", u, "2025-03-07 09:10", "green", "url",
                       "http://update-check.example.net/bl/gate.php", "BalkanLoader C2 gate URL")
    c2_ip = indicator("rs-balkanloader-c2-ip", u, "2025-03-07 09:11", "green", "ipv4",
                      "198.51.100.23", "BalkanLoader C2 server")
    r2 = relationship("rs-gate-indicates", u, "2025-03-07 09:12", "green", c2_url, "indicates", mal)
    r3 = relationship("rs-c2ip-indicates", u, "2025-03-07 09:12", "green", c2_ip, "indicates", mal)
    rep = sdo("report", "rs-advisory-2025-07", u, "2025-03-07 12:00", "clear",
              modified="2025-03-08 08:30",
              name="Advisory RS-2025-07: BalkanLoader invoice phishing (demo)",
              description="Public advisory: invoice-themed e-mails deliver BalkanLoader. " + DEMO,
              report_types=["threat-report", "malware"], published=ts("2025-03-07 12:00"),
              object_refs=[mal["id"], h_drop["id"], r1["id"]])
    bundles.append((u, [mal, h_drop, r1, c2_url, c2_ip, r2, r3, rep]))

    # The regional campaign, first report: al-cert.
    camp = {}
    u, when = CAMPAIGN_REPORTS[0]
    camp[u] = indicator("campaign-domain:" + u, u, when, "green", "domain", CAMPAIGN_DOMAIN,
                        "Phishing domain imitating e-banking login")
    al_ip = indicator("al-campaign-ip", u, "2025-03-10 08:20", "green", "ipv4", CAMPAIGN_IP,
                      "Host of %s" % CAMPAIGN_DOMAIN)
    al_mail = indicator("al-campaign-sender", u, "2025-03-10 08:25", "green", "email",
                        "security@" + CAMPAIGN_DOMAIN, "Sender of the bank-themed phishing e-mails")
    bundles.append((u, [camp[u], al_ip, al_mail]))

    # Hospital (reporter): BalkanLoader on a workstation. The incident is left
    # unmarked (filed as AMBER+STRICT by the node); the sighting is addressed to al-cert.
    u = "reporter@al-hospital"
    hosp_inc = incident("al-hospital-balkanloader", u, "2025-03-10 14:30", None,
                        "BalkanLoader on a radiology workstation (demo)",
                        "A staff member opened Faktura_0325.js; EDR quarantined the dropper.")
    hosp_sig = sighting("al-hospital-sees-dropper", u, "2025-03-10 13:58", "2025-03-10 14:02",
                        "amber+strict", h_drop, [O("al-hospital")], 1, to=[O("al-cert")])
    bundles.append((u, [hosp_inc, hosp_sig]))

    # Second report: me-cirt, with more detail.
    u, when = CAMPAIGN_REPORTS[1]
    camp[u] = indicator("campaign-domain:" + u, u, when, "green", "domain", CAMPAIGN_DOMAIN,
                        "Credential phishing domain (Montenegrin bank customers)")
    me_url = indicator("me-campaign-url", u, "2025-03-11 06:45", "green", "url",
                       "https://%s/me/e-banking/login.php" % CAMPAIGN_DOMAIN, "Phishing landing page")
    me_ip6 = indicator("me-campaign-ipv6", u, "2025-03-11 06:50", "green", "ipv6",
                       "2001:db8:4d2::17", "IPv6 host of %s" % CAMPAIGN_DOMAIN)
    bundles.append((u, [camp[u], me_url, me_ip6]))

    # The bank (reporter): customers phished; AMBER incident to its national
    # CSIRT and the police; sighting of the campaign IP (al-cert's indicator).
    u = "reporter@me-bank"
    bank_od_ip = sco("ipv4-addr", CAMPAIGN_IP, "amber")
    bank_od = sdo("observed-data", "me-bank-proxy-log", u, "2025-03-11 09:15", "amber",
                  first_observed=ts("2025-03-11 07:02"), last_observed=ts("2025-03-11 08:47"),
                  number_observed=37, object_refs=[bank_od_ip["id"]], to=[O("me-cirt")])
    bank_inc = incident("me-bank-phishing", u, "2025-03-11 09:20", "amber",
                        "Credential phishing against e-banking customers (demo)",
                        "Customers report SMS and e-mail lures to %s; 12 accounts had one-time "
                        "passwords entered on the fake page." % CAMPAIGN_DOMAIN,
                        to=[O("me-cirt"), O("rs-police-htcu")])
    bank_sig = sighting("me-bank-sees-campaign-ip", u, "2025-03-11 07:02", "2025-03-11 08:47", "amber",
                        al_ip, [O("me-bank")], 37, observed_data_refs=[bank_od["id"]],
                        to=[O("me-cirt"), O("rs-police-htcu")])
    bank_sig2 = sighting("me-bank-sees-campaign-domain", u, "2025-03-11 06:58", "2025-03-11 09:10", "amber",
                         camp["analyst@me-cirt"], [O("me-bank")], 112, to=[O("me-cirt")])
    bundles.append((u, [bank_od_ip, bank_od, bank_inc, bank_sig, bank_sig2]))

    # Third report: mkd-cirt, with observed data from its sensors.
    u, when = CAMPAIGN_REPORTS[2]
    camp[u] = indicator("campaign-domain:" + u, u, when, "green", "domain", CAMPAIGN_DOMAIN,
                        "Phishing domain seen in lures to Macedonian banks' customers")
    mk_dom = sco("domain-name", CAMPAIGN_DOMAIN, "green")
    mk_ip = sco("ipv4-addr", "198.51.100.77", "green")
    mk_od = sdo("observed-data", "mkd-dns-sensor", u, "2025-03-11 19:10", "green",
                first_observed=ts("2025-03-11 16:00"), last_observed=ts("2025-03-11 19:00"),
                number_observed=214, object_refs=[mk_dom["id"], mk_ip["id"]])
    mk_ip_ind = indicator("mkd-campaign-mx", u, "2025-03-11 19:12", "green", "ipv4", "198.51.100.77",
                          "Mail server sending the bank-themed lures")
    bundles.append((u, [camp[u], mk_dom, mk_ip, mk_od, mk_ip_ind]))

    # Electricity operator (reporter): spear-phishing of engineers, AMBER+STRICT to
    # mkd-cirt; one indicator left unmarked (filed as AMBER+STRICT by the node).
    u = "reporter@mk-power"
    pw_mail = indicator("mk-power-sender", u, "2025-03-12 10:05", None, "email",
                        "hr-payroll@example.org", "Sender of the fake payroll e-mails")
    pw_inc = incident("mk-power-spearphish", u, "2025-03-12 10:00", "amber+strict",
                      "Spear-phishing of control-room engineers (demo)",
                      "Five engineers received fake payroll e-mails with a BalkanLoader attachment; "
                      "no operational technology was affected.",
                      to=[O("mkd-cirt")])
    pw_sig = sighting("mk-power-sees-c2", u, "2025-03-12 08:40", "2025-03-12 09:55", "amber+strict",
                      c2_ip, [O("mk-power")], 4, to=[O("mkd-cirt")])
    bundles.append((u, [pw_mail, pw_inc, pw_sig]))

    # me-cirt groups the campaign and coordinates.
    u = "analyst@me-cirt"
    grp = sdo("grouping", "regional-bank-phishing", u, "2025-03-12 08:00", "green",
              modified="2025-03-12 11:30",
              name="Regional bank-phishing campaign, March 2025 (demo)", context="suspicious-activity",
              description="Same phishing domain reported by ALCIRT, CIRT.ME and MKD-CIRT within 48 hours. " + DEMO,
              object_refs=[camp[x]["id"] for x, _ in CAMPAIGN_REPORTS] + [al_ip["id"], me_url["id"], mk_ip_ind["id"]])
    me_inc = incident("me-cirt-coordination", u, "2025-03-12 08:30", "amber",
                      "Coordination: takedown of %s (demo)" % CAMPAIGN_DOMAIN,
                      "Takedown requested at the registrar; affected banks informed.",
                      to=[O("me-bank"), O("al-cert"), O("mkd-cirt"), O("rs-police-htcu")])
    me_rel = relationship("me-coord-related-bank", u, "2025-03-12 08:31", "amber", me_inc,
                          "related-to", bank_inc)
    bundles.append((u, [grp, me_inc, me_rel]))

    # Police: AMBER note to the bank and CIRT.ME; RED note to two named analysts.
    u = "analyst@rs-police-htcu"
    pol_note = note("htcu-bank-evidence", u, "2025-03-12 13:00", "amber",
                    "Evidence preservation request",
                    "Please preserve web-server and SMS-gateway logs for 11-12 March.",
                    [bank_inc], to=[O("me-bank"), O("me-cirt")])
    pol_red = note("htcu-red-operation", u, "2025-03-12 16:45", "red",
                   "Do not take down %s before 14 March" % CAMPAIGN_IP,
                   "A cross-border operation is monitoring the host; please hold further action.",
                   [al_ip, me_inc], to=[U("analyst@me-cirt"), U("analyst@al-cert")])
    bundles.append((u, [pol_note, pol_red]))

    # Other national CSIRTs: GREEN indicators, AMBER incidents, a RED tip.
    u = "analyst@hr-cert"
    hr_dom = indicator("hr-parcel-domain", u, "2025-03-05 11:00", "green", "domain",
                       "paket-dostava.example.com", "Parcel-delivery phishing domain")
    hr_url = indicator("hr-parcel-url", u, "2025-03-05 11:02", "green", "url",
                       "https://paket-dostava.example.com/carina/placanje", "Fake customs-fee payment page")
    hr_inc = incident("hr-university-dos", u, "2025-03-09 20:15", "amber",
                      "DDoS against a university e-learning portal (demo)",
                      "Short UDP floods from 192.0.2.0/24 during exam registration.")
    hr_scan = indicator("hr-dos-source", u, "2025-03-09 20:20", "amber", "ipv4", "192.0.2.200",
                        "Flood source (spoofing likely)", days=7)
    bundles.append((u, [hr_dom, hr_url, hr_inc, hr_scan]))

    u = "analyst@kos-cert"
    ks_scan = indicator("kos-rdp-scanner", u, "2025-03-08 07:30", "green", "ipv4", "192.0.2.44",
                        "Mass RDP brute-force source", types=("anomalous-activity",))
    ks_sig = sighting("kos-sees-campaign-domain", u, "2025-03-11 12:00", "2025-03-11 15:30", "green",
                      camp["analyst@al-cert"], [O("kos-cert")], 9)
    ks_inc = incident("kos-municipality-defacement", u, "2025-03-09 06:10", "amber",
                      "Defacement of a municipal website (demo)",
                      "Outdated CMS plugin; site restored from backup.")
    bundles.append((u, [ks_scan, ks_sig, ks_inc]))

    u = "analyst@ba-cert"
    ba_dom = indicator("ba-tax-refund", u, "2025-03-06 10:00", "green", "domain",
                       "tax-refund-portal.example.org", "Tax-refund phishing domain")
    ba_ip6 = indicator("ba-tax-refund-ipv6", u, "2025-03-06 10:05", "green", "ipv6",
                       "2001:db8:ba::53", "Host of tax-refund-portal.example.org")
    ba_red = indicator("ba-red-c2", u, "2025-03-12 18:00", "red", "domain", "cdn-sync.example.net",
                       "Next-stage BalkanLoader C2 (from a sensitive source)", days=14,
                       to=[U("analyst@rs-cert"), U("analyst@hr-cert")])
    ba_red_rel = relationship("ba-red-c2-indicates", u, "2025-03-12 18:01", "red", ba_red, "indicates", mal)
    bundles.append((u, [ba_dom, ba_ip6, ba_red, ba_red_rel]))

    u = "analyst@al-cert"
    al_inc = incident("al-hospital-coordination", u, "2025-03-10 16:00", "amber+strict",
                      "Malware at a hospital: coordination (demo)",
                      "Supporting the hospital; no patient data affected.", to=[O("al-hospital")])
    al_rel = relationship("al-hosp-uses", u, "2025-03-10 16:01", "amber+strict", al_inc, "related-to", mal)
    bundles.append((u, [al_inc, al_rel]))

    u = "analyst@rs-cert"
    rs_hash2 = indicator("rs-balkanloader-stage2", u, "2025-03-12 09:00", "green", "sha256",
                         fake_sha256("balkanloader-stage2"), "BalkanLoader second stage (svchelper.dll)", days=180)
    rs_rel = relationship("rs-stage2-indicates", u, "2025-03-12 09:01", "green", rs_hash2, "indicates", mal)
    rs_red = incident("rs-ministry-compromise", u, "2025-03-12 17:30", "red",
                      "Suspected compromise of a ministry mail account (demo)",
                      "Mailbox used to forward BalkanLoader lures; investigation ongoing.",
                      to=[U("analyst@rs-police-htcu")])
    rs_note = note("rs-report-update", u, "2025-03-13 08:00", "clear",
                   "Update to RS-2025-07",
                   "Second stage hash added; see also the regional grouping.", [rep, mal])
    bundles.append((u, [rs_hash2, rs_rel, rs_red, rs_note]))

    return bundles


def build():
    orgs = [{"name": h, "full_name": f, "country": c, "sector": s, "kind": k, "identity": org_ident(h)}
            for h, f, c, s, k in ORGS]
    users = [{"name": n, "org": o, "role": r, "identity": user_ident(n)} for n, o, r in USERS]
    bundles = [{"user": u, "bundle": {"type": "bundle", "id": sid("bundle", "%d:%s" % (i, u)), "objects": objs}}
               for i, (u, objs) in enumerate(scenario())]
    return {"orgs": orgs, "users": users, "bundles": bundles}


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "share", "demo", "demo.json")
    demo = build()
    with open(out, "w", encoding="utf-8") as f:
        f.write(json.dumps(demo, indent=1, ensure_ascii=False) + "\n")
    n = sum(len(b["bundle"]["objects"]) for b in demo["bundles"])
    print("wrote %s: %d orgs, %d users, %d objects" % (out, len(ORGS), len(USERS), n))


if __name__ == "__main__":
    main()
