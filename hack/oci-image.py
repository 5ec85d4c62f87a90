#!/usr/bin/env python3
"""Assembles a single-layer OCI image archive from a root filesystem directory, without a daemon or a registry.

  hack/oci-image.py --rootfs DIR --name REF --out ARCHIVE.tar [--entrypoint JSON] [--cmd JSON]
                    [--user 65532:65532] [--env K=V]... [--workdir /] [--label K=V]... [--expose 8080/tcp]...

The archive is an OCI image layout (oci-layout, index.json, blobs/sha256/...) as `ctr images import`,
`podman load`, `skopeo copy oci-archive:` and `docker load` (25+) read it. Files are owned by root
unless their mode says otherwise; timestamps are fixed (SOURCE_DATE_EPOCH, default 0) so the same
rootfs always gives the same digest.
"""
import argparse, gzip, hashlib, io, json, os, stat, tarfile, tempfile

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rootfs", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--entrypoint", default="null")
    p.add_argument("--cmd", default="null")
    p.add_argument("--user", default="")
    p.add_argument("--workdir", default="/")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--label", action="append", default=[])
    p.add_argument("--expose", action="append", default=[])
    p.add_argument("--owner", action="append", default=[], help="PATH=UID:GID for a path and what is under it")
    a = p.parse_args()
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    owners = [(o.split("=", 1)[0].strip("/"), tuple(int(x) for x in o.split("=", 1)[1].split(":"))) for o in a.owner]

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(a.rootfs):
            dirnames.sort()
            for name in sorted(dirnames) + sorted(filenames):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, a.rootfs)
                info = tar.gettarinfo(full, arcname=rel)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                for path, (uid, gid) in owners:
                    if rel == path or rel.startswith(path + "/"):
                        info.uid, info.gid = uid, gid
                info.mtime = epoch
                if info.isreg():
                    with open(full, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    diff_id = hashlib.sha256(raw.getvalue()).hexdigest()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=epoch, compresslevel=6) as g:
        g.write(raw.getvalue())
    layer = gz.getvalue()

    config = {
        "architecture": "amd64", "os": "linux",
        "created": "1970-01-01T00:00:00Z" if epoch == 0 else None,
        "config": {
            "User": a.user or None,
            "Env": a.env or None,
            "Entrypoint": json.loads(a.entrypoint),
            "Cmd": json.loads(a.cmd),
            "WorkingDir": a.workdir,
            "Labels": dict(l.split("=", 1) for l in a.label) or None,
            "ExposedPorts": {e: {} for e in a.expose} or None,
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
        "history": [{"created_by": "hack/oci-image.py"}],
    }
    config["config"] = {k: v for k, v in config["config"].items() if v is not None}
    config = {k: v for k, v in config.items() if v is not None}
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()

    def desc(media, data, **extra):
        d = {"mediaType": media, "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "size": len(data)}
        d.update(extra)
        return d

    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": desc("application/vnd.oci.image.config.v1+json", config_bytes),
        "layers": [desc("application/vnd.oci.image.layer.v1.tar+gzip", layer)],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    ref = a.name.rsplit(":", 1)[1] if ":" in a.name.rsplit("/", 1)[-1] else "latest"
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [desc("application/vnd.oci.image.manifest.v1+json", manifest_bytes,
                           annotations={"io.containerd.image.name": a.name,
                                        "org.opencontainers.image.ref.name": ref})],
    }
    blobs = {hashlib.sha256(b).hexdigest(): b for b in (layer, config_bytes, manifest_bytes)}
    tmp = a.out + ".tmp"
    with tarfile.open(tmp, "w") as out:
        def put(name, data):
            i = tarfile.TarInfo(name); i.size = len(data); i.mtime = epoch; i.mode = 0o644
            out.addfile(i, io.BytesIO(data))
        put("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        put("index.json", json.dumps(index, sort_keys=True).encode())
        for digest, data in sorted(blobs.items()):
            put("blobs/sha256/" + digest, data)
    os.replace(tmp, a.out)
    print("sha256:" + hashlib.sha256(manifest_bytes).hexdigest())

if __name__ == "__main__":
    main()
