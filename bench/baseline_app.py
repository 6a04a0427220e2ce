"""The ingest benchmark's baseline: a minimal Flask endpoint doing one INSERT, nothing else."""

import os

from flask import Flask, request
from sqlalchemy import create_engine, text

engine = create_engine(os.environ["DATABASE_URL"], pool_size=2)
app = Flask(__name__)


@app.post("/insert")
def insert():
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO bench_rows (body) VALUES (:b)"), {"b": request.get_data()})
    return {"ok": True}, 201
