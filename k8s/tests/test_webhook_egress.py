"""Webhook egress (issue 17): the inquiry pods deliver organisations' webhooks, so their
NetworkPolicy must let HTTPS leave the cluster — to public addresses only, as the service's
own URL check allows by default — while no other workload gains a way out."""

import ipaddress

import pytest

from manifests import of_kind, pod_template, selects

PUBLIC = ["185.143.233.10", "8.8.8.8", "2a01:5ec0:1000::1"]
# The pod and service networks, the cloud metadata address, CGNAT, loopback, IPv6 ULA.
PRIVATE = ["10.0.0.12", "172.20.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
           "127.0.0.1", "fd00::1", "fe80::1"]


def _rule_reaches(rule: dict, address: str, port: int) -> bool:
    ports = rule.get("ports")
    if ports and not any(p.get("port") == port for p in ports):
        return False
    ip = ipaddress.ip_address(address)
    for peer in rule.get("to") or []:
        block = peer.get("ipBlock")
        if block is None:
            continue  # pod and namespace selectors name pods in the cluster, not addresses
        net = ipaddress.ip_network(block["cidr"])
        if ip.version != net.version or ip not in net:
            continue
        if any(ip in ipaddress.ip_network(e) for e in block.get("except", [])
               if ipaddress.ip_network(e).version == ip.version):
            continue
        return True
    return False


def egress_to_address(docs, labels: dict, address: str, port: int) -> bool:
    """May a pod with `labels` open a connection to `address:port` outside the cluster?"""
    selecting = [p for p in of_kind(docs, "NetworkPolicy")
                 if selects(p["spec"]["podSelector"], labels) and "Egress" in p["spec"]["policyTypes"]]
    if not selecting:
        return True
    return any(_rule_reaches(r, address, port) for p in selecting for r in p["spec"].get("egress") or [])


def _pod(docs, app: str) -> dict:
    return next(pod_template(d)["metadata"]["labels"] for d in of_kind(docs, "Deployment")
                if d["metadata"]["name"] == app)


@pytest.mark.parametrize("address", PUBLIC)
def test_inquiry_delivers_webhooks_over_https_to_public_addresses(docs, address):
    assert egress_to_address(docs, _pod(docs, "inquiry"), address, 443), address


@pytest.mark.parametrize("address", PRIVATE)
def test_inquiry_webhooks_cannot_reach_private_ranges(docs, address):
    assert not egress_to_address(docs, _pod(docs, "inquiry"), address, 443), address


@pytest.mark.parametrize("port", [80, 22, 8080, 5432])
def test_inquiry_egress_outside_is_https_only(docs, port):
    assert not egress_to_address(docs, _pod(docs, "inquiry"), PUBLIC[0], port), port


# Notifications (e-mail relay, SMS gateway) and identity (the one-time codes it texts) have
# egress rules of their own; every other service stays inside the cluster.
@pytest.mark.parametrize("app", ["gateway", "property", "documents", "fees"])
def test_no_other_service_leaves_the_cluster(docs, app):
    assert not egress_to_address(docs, _pod(docs, app), PUBLIC[0], 443), app


def test_identity_texts_its_codes_over_https_only(docs):
    assert egress_to_address(docs, _pod(docs, "identity"), PUBLIC[0], 443)
    assert not egress_to_address(docs, _pod(docs, "identity"), PUBLIC[0], 80)
