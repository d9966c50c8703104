"""Turns the rendered dev overlay into what `podman kube play` runs on one machine.

Reads the rendered manifests on stdin and writes three YAML streams into OUT_DIR:

  secrets/NAME.json each Secret the workloads reference, as the JSON object of its `data`
                    (base64 values): what podman 4's secretKeyRef reads from a podman secret
                    of that name (`podman secret create NAME FILE`); podman 4.3 stores a
                    played Secret as YAML, which its own secretKeyRef then cannot read
  migrate.yaml      the ConfigMap and the migration Job's pod, as a Pod (podman plays no Jobs)
  seed.yaml         the same pod running `estelam seed` (the synthetic demo city and its
                    owners' request numbers, for the smoke test's inquiry), after the Job
  deployments.yaml  the ConfigMap and every Deployment (a ConfigMap is read from the same
                    file as the pods that use it)

What changes, and why (everything else — command, arguments, environment, secret
references, probes, resources, read-only root filesystem, security context, volumes — is
played as rendered):

* the image is the one built here (k8s/image/build.sh), pulled never;
* PostgreSQL and RabbitMQ are the machine's, which listen on loopback only: the database
  and AMQP Secrets name a database and a vhost of this play's own, reached as `postgres`
  and `rabbitmq` just as in the cluster;
* there is no cluster network: every pod shares the host's network, and each gets a
  loopback address of its own (127.0.X.N) standing for its pod IP. A Service's name
  the pod listens on its address (ESTELAM_LISTEN__*) on the ports the manifests give, so six pods that all
  listen on 50051 and 9090 do not collide. A Service's name resolves to that address
  through OUT_DIR/hosts, mounted read-only at /etc/hosts (as cluster DNS would resolve it;
  podman 4.3 writes a pod's hostAliases only into its infra container's /etc/hosts when
  the pod uses the host's network, so they would not reach the workload). The
  containers' `ports` are dropped: on the host's network they are what the process binds,
  and podman would otherwise try to map them. emptyDir volumes get their pod's name, as
  podman 4.3 plays them as named volumes that pods would otherwise share.

  python3 adapt.py OUT_DIR IMAGE DATABASE_URL AMQP_URL NET_PREFIX < rendered.yaml
"""

import base64
import copy
import json
import os
import sys

import yaml

# Each workload's loopback address: NET_PREFIX + "." + this number.
HOSTS = {"identity": 1, "property": 2, "documents": 3, "fees": 4, "inquiry": 5, "gateway": 6,
         "notifications": 7}


def secret(doc: dict, key: str, value: str) -> None:
    doc.setdefault("data", {})[key] = base64.b64encode(value.encode()).decode()


def local_container(c: dict, image: str) -> None:
    c["image"] = image
    c["imagePullPolicy"] = "Never"


def hosts_file(prefix: str) -> str:
    lines = ["127.0.0.1\tlocalhost postgres rabbitmq", "::1\tlocalhost"]
    # Both a workload's Service and its headless one (`<name>-headless`, which the other
    # services' clients resolve to every replica) stand for its one address here.
    lines += [f"{prefix}.{n}\t{name} {name}-headless" for name, n in HOSTS.items()]
    return "\n".join(lines) + "\n"


def host_network(spec: dict, hosts: str) -> None:
    spec["hostNetwork"] = True
    spec.setdefault("volumes", []).append(
        {"name": "play-hosts", "hostPath": {"path": hosts, "type": "File"}})
    for c in spec["containers"]:
        c.setdefault("volumeMounts", []).append(
            {"name": "play-hosts", "mountPath": "/etc/hosts", "readOnly": True})
    for c in spec["containers"]:
        # On the host's network a port is the process's to bind; podman 4.3 would turn
        # every containerPort into a port mapping, which host networking refuses.
        c.pop("ports", None)


def own_volumes(spec: dict, owner: str) -> None:
    """emptyDir volumes named after their pod: podman 4.3 plays an emptyDir as a named
    volume, so two pods' `data` would otherwise be one directory, where Kubernetes gives
    each pod its own."""
    renamed = {}
    for v in spec.get("volumes", []):
        if "emptyDir" in v:
            renamed[v["name"]] = v["name"] = f"{owner}-{v['name']}"
    for c in spec["containers"]:
        for m in c.get("volumeMounts", []):
            m["name"] = renamed.get(m["name"], m["name"])


def own_config(spec: dict, config: dict, prefix: str, own: str) -> dict:
    """A copy of the ConfigMap for the pod of `own`, whose listen addresses are its own
    loopback address, and the pod pointed at it. (An `env` entry would not do: podman 4.3
    lets envFrom win over env, the reverse of Kubernetes.)"""
    ip = f"{prefix}.{HOSTS[own]}"
    mine = copy.deepcopy(config)
    mine["metadata"]["name"] = f"{config['metadata']['name']}-{own}"
    for var, port in (("GRPC", 50051), ("HTTP", 8080), ("ADMIN", 9090)):
        mine["data"][f"ESTELAM_LISTEN__{var}"] = f"{ip}:{port}"
    for c in spec["containers"]:
        for source in c.get("envFrom", []):
            ref = source.get("configMapRef")
            if ref and ref["name"] == config["metadata"]["name"]:
                ref["name"] = mine["metadata"]["name"]
    return mine


def main() -> None:
    out_dir, image, database_url, amqp_url, prefix = sys.argv[1:6]
    docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
    hosts = os.path.abspath(f"{out_dir}/hosts")
    with open(hosts, "w") as f:
        f.write(hosts_file(prefix))
    secrets, config, migrate, deployments = [], [], [], []
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        labels = doc["metadata"].get("labels", {})
        if labels.get("app.kubernetes.io/part-of") != "estelam" and kind != "Secret":
            continue  # the dev PostgreSQL and RabbitMQ: the machine's are used instead
        if kind == "ConfigMap" and name.startswith("estelam-config"):
            config.append(doc)
        elif kind == "Secret" and name.startswith("estelam-"):
            if name.startswith("estelam-database"):
                secret(doc, "url", database_url)
            elif name.startswith("estelam-amqp"):
                secret(doc, "url", amqp_url)
            # kube play reads `data`; move generator literals there in case of stringData.
            for k, v in (doc.pop("stringData", None) or {}).items():
                secret(doc, k, v)
            secrets.append(doc)
        elif kind == "Job" and name == "estelam-migrate":
            template = copy.deepcopy(doc["spec"]["template"])
            spec = template["spec"]
            for c in spec["containers"]:
                local_container(c, image)
            host_network(spec, hosts)
            own_volumes(spec, name)
            migrate.append({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "labels": template["metadata"].get("labels", {})},
                "spec": spec,
            })
        elif kind == "Deployment":
            spec = doc["spec"]["template"]["spec"]
            for c in spec["containers"]:
                local_container(c, image)
            host_network(spec, hosts)
            own_volumes(spec, name)
            deployments.append(doc)
    os.makedirs(f"{out_dir}/secrets", exist_ok=True)
    for doc in secrets:
        with open(f"{out_dir}/secrets/{doc['metadata']['name']}.json", "w") as f:
            json.dump(doc.get("data", {}), f)
    seed = copy.deepcopy(migrate)
    for pod in seed:
        pod["metadata"]["name"] = "estelam-seed"
        for v in pod["spec"]["volumes"] + pod["spec"]["containers"][0]["volumeMounts"]:
            v["name"] = v["name"].replace("estelam-migrate-", "estelam-seed-", 1)
        pod["spec"]["containers"][0]["args"] = ["seed"]
    if len(config) != 1:
        sys.exit("the rendered overlay has no single estelam-config ConfigMap")
    own = [own_config(d["spec"]["template"]["spec"], config[0], prefix, d["metadata"]["name"])
           for d in deployments]
    for file, objs in (("migrate", config + migrate), ("seed", config + seed),
                       ("deployments", own + deployments)):
        with open(f"{out_dir}/{file}.yaml", "w") as f:
            yaml.safe_dump_all(objs, f, sort_keys=False, allow_unicode=True)
    missing = set(HOSTS) - {d["metadata"]["name"] for d in deployments}
    if missing or len(migrate) != 1:
        sys.exit(f"the rendered overlay lacks {sorted(missing) or 'the migration Job'}")


if __name__ == "__main__":
    main()
