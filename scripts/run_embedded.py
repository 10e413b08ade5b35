#!/usr/bin/env python3
"""`make run`: migrate, load the demo network, then run web, worker and scheduler together.

Embedded mode unless DATABASE_URL / REDIS_URL are set: SQLite and a file-system Celery broker
under var/, so nothing needs installing. Ctrl-C stops all three.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")


def manage(*args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        check=True,
        cwd=ROOT,
        capture_output=capture,
        text=True,
    )
    return result.stdout if capture else ""


def print_welcome(demo: dict) -> None:
    base = f"http://{HOST}:{PORT}"
    print("\n" + "=" * 72)
    print(f" Affnet is running on {base}")
    print(
        f" Admin:   {base}/admin/  user {demo['admin']['username']}"
        f"  password {demo['admin']['password']}"
    )
    if demo["admin"].get("totp_key"):
        print(f"          two-factor key {demo['admin']['totp_key']}")
    for sign_in in demo.get("sign_ins", []):
        print(
            f" Sign in: {sign_in['role']:<10} {base}/login/  user {sign_in['username']:<12}"
            f" password {sign_in['password']}"
        )
        if sign_in.get("totp_key"):
            # Finance and superusers give a code at sign-in: add this key to an authenticator
            # app (or `oathtool --totp -b KEY`). The page's "sign in as" buttons skip it.
            print(f"          two-factor key {sign_in['totp_key']}")
    print(f' Or:      {base}/login/  "sign in as" any demo user (this machine only)')
    print(f" API:     {base}/api/v1/   docs {base}/api/v1/docs/")
    for key in demo.get("api_keys", []):
        print(f" Key:     {key['role']:<10} {key['name']:<24} {key['key']}")
    for link in demo.get("links", [])[:4]:
        print(f" Click:   {link['url']}")
    print("=" * 72 + "\n", flush=True)


def main() -> int:
    os.chdir(ROOT)
    # Links printed and served must name the address we listen on.
    os.environ.setdefault("TRACKING_BASE_URL", f"http://{HOST}:{PORT}")
    manage("migrate", "--no-input", "-v", "0")
    demo = json.loads(manage("seed_demo", "--json", capture=True))
    commands = {
        "web": [sys.executable, "manage.py", "runserver", "--noreload", f"{HOST}:{PORT}"],
        "worker": [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "-l",
            "warning",
            "--pool",
            "solo",
            "-Q",
            "default,clicks,attribution,postbacks,payouts",
        ],
        "scheduler": [str(BIN / "celery"), "-A", "config", "beat", "-l", "warning"],
    }
    procs = {name: subprocess.Popen(cmd, cwd=ROOT) for name, cmd in commands.items()}
    time.sleep(2)
    print_welcome(demo)

    def stop(*_: object) -> None:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(proc.poll() is None for proc in procs.values()):
            time.sleep(1)
        dead = [name for name, proc in procs.items() if proc.poll() is not None]
        print(f"stopped: {', '.join(dead)} exited; stopping the rest", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for proc in procs.values():
            proc.wait(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
