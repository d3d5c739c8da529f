"""Fifty clients booking one slot over HTTP at once: one 201, forty-nine 409s, one visit."""

from __future__ import annotations

import threading
from collections import Counter

import requests
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from scheduler.db import Database
from scheduler.models import Appointment
from tests.support.factories import api_booking, demo_clinic, ids

CLIENTS = 50


def test_fifty_concurrent_requests_for_one_slot_book_it_once(app: Flask, db: Database) -> None:
    demo_clinic(db)
    service_id, practitioner_id = ids(db)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/bookings"
    barrier = threading.Barrier(CLIENTS)
    statuses: list[int] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        body = api_booking(service_id, practitioner_id, "2026-03-04T10:00:00+00:00")
        body["patient"]["phone"] = f"+4474001234{n:02d}"
        barrier.wait()
        status = requests.post(url, json=body, timeout=60).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.shutdown()
    assert Counter(statuses) == {201: 1, 409: CLIENTS - 1}
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == 1
