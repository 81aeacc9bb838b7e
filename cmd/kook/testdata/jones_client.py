"""Reads a service's config as Jones 1.0's client (jones/client.py) does.

usage: jones_client.py HOSTS SERVICE HOSTNAME [USER:PASSWORD]

HOSTS is a kazoo connect string chrooted at kook's root. Like JonesClient,
it reads /services/SERVICE/nodemaps, looks HOSTNAME up in it (a JSON object;
the "host -> path" lines of Jones 0.7 too), and reads the view it names, or
the service's root view when the host is not there. It prints the config as
JSON on one line. With USER:PASSWORD it authenticates as that digest user
first (Jones's own client never does).
"""

import json
import sys

from kazoo.client import KazooClient


def nodemap(data):
    text = data.decode("utf-8")
    if not text:
        return {}
    if " -> " in text:
        return dict(line.split(" -> ") for line in text.split("\n"))
    return json.loads(text)


def main():
    hosts, service, hostname = sys.argv[1:4]
    auth = [("digest", sys.argv[4])] if len(sys.argv) > 4 else None
    zk = KazooClient(hosts=hosts, auth_data=auth, timeout=10)
    zk.start(timeout=10)
    try:
        data, _ = zk.get("/services/%s/nodemaps" % service)
        path = nodemap(data).get(hostname, "/services/%s/views" % service)
        view, _ = zk.get(path)
        print(json.dumps(json.loads(view.decode("utf-8")), sort_keys=True))
    finally:
        zk.stop()
        zk.close()


if __name__ == "__main__":
    main()
