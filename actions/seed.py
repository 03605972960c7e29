"""Create the sample shop's database with invented customers, orders and stock.

Dates are relative to the day the database is created, so the sample orders stay realistic
(a parcel shipped two days ago is still in transit, a delivery 45 days ago is past the return
window). `python -m actions.seed` creates it when missing; `--force` starts again.
"""

from __future__ import annotations

import argparse
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Optional

from actions.settings import shop_settings

SCHEMA = """
CREATE TABLE products (
    sku TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, stock INTEGER NOT NULL,
    price_cents INTEGER NOT NULL, restock_on TEXT
);
CREATE TABLE orders (
    id TEXT PRIMARY KEY, email TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('processing', 'shipped', 'delivered', 'cancelled')),
    placed_on TEXT NOT NULL, shipped_on TEXT, delivered_on TEXT, cancelled_on TEXT,
    address TEXT NOT NULL, total_cents INTEGER NOT NULL
);
CREATE TABLE order_items (
    order_id TEXT NOT NULL REFERENCES orders(id), sku TEXT NOT NULL REFERENCES products(sku),
    quantity INTEGER NOT NULL
);
CREATE TABLE shipments (
    order_id TEXT PRIMARY KEY REFERENCES orders(id), carrier TEXT NOT NULL,
    tracking_number TEXT NOT NULL, last_event TEXT NOT NULL, last_location TEXT NOT NULL,
    eta TEXT
);
CREATE TABLE refunds (
    order_id TEXT PRIMARY KEY REFERENCES orders(id), amount_cents INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('approved', 'paid')),
    approved_on TEXT NOT NULL, paid_on TEXT
);
CREATE TABLE returns (
    rma TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders(id),
    reason TEXT NOT NULL, created_on TEXT NOT NULL
);
"""

# sku, name, stock, price in cents, days until restock (for sold-out items)
PRODUCTS = [
    ("TRS-01", "trail runner shoes", 24, 11900, None),
    ("RJK-02", "rain jacket", 12, 8900, None),
    ("MSK-03", "merino socks", 140, 1800, None),
    ("CST-04", "camping stove", 0, 6400, 9),
    ("WBT-05", "water bottle", 85, 2200, None),
    ("DPK-06", "daypack", 3, 7400, None),
    ("SLB-07", "sleeping bag", 16, 15900, None),
    ("HLP-08", "headlamp", 40, 3400, None),
    ("YGM-09", "yoga mat", 0, 3900, 21),
    ("CGR-10", "coffee grinder", 7, 5600, None),
    ("WBL-11", "wool blanket", 2, 9800, None),
    ("CMS-12", "ceramic mug set", 30, 4200, None),
    ("HKP-13", "hiking poles", 9, 6900, None),
    ("TNT-14", "tent", 5, 32900, None),
]

# order id, email, status, days since placed / shipped / delivered / cancelled, address,
# items as (sku, quantity)
ORDERS = [
    ("482913", "maria.k@example.com", "shipped", 4, 2, None, None,
     "18 Cedar Court, 97201 Portland", [("TNT-14", 1)]),
    ("730155", "jon.ortiz@example.org", "processing", 0, None, None, None,
     "5 Lakeview Road, 55401 Minneapolis", [("HLP-08", 1), ("MSK-03", 2)]),
    ("551204", "priya.s@example.com", "delivered", 9, 7, 5, None,
     "72 Birch Avenue, 80202 Denver", [("RJK-02", 1)]),
    ("318274", "li.wei@example.org", "delivered", 52, 50, 45, None,
     "9 Harbor Street, 02110 Boston", [("CGR-10", 1)]),
    ("661820", "sam.h@example.com", "cancelled", 12, None, None, 11,
     "301 Elm Street, 60601 Chicago", [("YGM-09", 1)]),
    ("204876", "ana.r@example.org", "delivered", 20, 18, 16, None,
     "44 Spruce Lane, 98101 Seattle", [("TRS-01", 1)]),
    ("905311", "tom.b@example.com", "delivered", 30, 28, 26, None,
     "2 Willow Way, 73301 Austin", [("SLB-07", 1)]),
    ("117450", "eva.m@example.org", "processing", 1, None, None, None,
     "87 Maple Drive, 30301 Atlanta", [("SLB-07", 1), ("WBT-05", 2)]),
    ("640072", "noah.d@example.com", "shipped", 3, 1, None, None,
     "15 Aspen Place, 84101 Salt Lake City", [("HKP-13", 1), ("DPK-06", 1)]),
    ("389915", "ines.f@example.org", "delivered", 6, 4, 2, None,
     "60 Poplar Street, 10001 New York", [("CMS-12", 1)]),
]

SHIPMENTS = [
    ("482913", "UPS", "1Z84F2930412", "Departed facility", "Sacramento, CA", 1),
    ("640072", "FedEx", "7741 2290 3318", "Picked up", "Reno, NV", 3),
    ("551204", "UPS", "1Z84F2930977", "Delivered, left at front door", "Denver, CO", None),
    ("318274", "USPS", "9400 1112 0203 7789", "Delivered to mailroom", "Boston, MA", None),
    ("204876", "UPS", "1Z84F2931562", "Delivered, handed to resident", "Seattle, WA", None),
    ("905311", "FedEx", "7741 2290 4420", "Delivered, left at reception", "Austin, TX", None),
    ("389915", "USPS", "9400 1112 0203 9921", "Delivered to mailbox", "New York, NY", None),
]

# order id, amount, status, days since approved, days since paid
REFUNDS = [
    ("204876", 11900, "approved", 2, None),
    ("905311", 15900, "paid", 10, 7),
]

# rma, order id, reason, days since created
RETURNS = [("R-389915-001", "389915", "One mug arrived chipped", 1)]


def _ago(today: date, days: Optional[int]) -> Optional[str]:
    return None if days is None else (today - timedelta(days=days)).isoformat()


def _ahead(today: date, days: Optional[int]) -> Optional[str]:
    return None if days is None else (today + timedelta(days=days)).isoformat()


def seed(db_path: Path, today: date) -> None:
    """Write a fresh database at `db_path` (replacing any file there)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    partial = db_path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    prices = {sku: price for sku, _, _, price, _ in PRODUCTS}
    with sqlite3.connect(partial) as db:
        db.executescript(SCHEMA)
        db.executemany(
            "INSERT INTO products VALUES (?, ?, ?, ?, ?)",
            [(s, n, st, p, _ahead(today, r)) for s, n, st, p, r in PRODUCTS],
        )
        for oid, email, status, placed, shipped, delivered, cancelled, address, items in ORDERS:
            total = sum(prices[sku] * qty for sku, qty in items)
            db.execute(
                "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (oid, email, status, _ago(today, placed), _ago(today, shipped),
                 _ago(today, delivered), _ago(today, cancelled), address, total),
            )
            db.executemany(
                "INSERT INTO order_items VALUES (?, ?, ?)",
                [(oid, sku, qty) for sku, qty in items],
            )
        db.executemany(
            "INSERT INTO shipments VALUES (?, ?, ?, ?, ?, ?)",
            [(o, c, t, e, loc, _ahead(today, eta)) for o, c, t, e, loc, eta in SHIPMENTS],
        )
        db.executemany(
            "INSERT INTO refunds VALUES (?, ?, ?, ?, ?)",
            [(o, a, s, _ago(today, ap), _ago(today, pd)) for o, a, s, ap, pd in REFUNDS],
        )
        db.executemany(
            "INSERT INTO returns VALUES (?, ?, ?, ?)",
            [(rma, o, reason, _ago(today, d)) for rma, o, reason, d in RETURNS],
        )
    # Rename last, so a crash half-way never leaves a half-seeded database in place.
    partial.replace(db_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=shop_settings().db_path)
    parser.add_argument("--force", action="store_true", help="replace an existing database")
    args = parser.parse_args()
    if args.path.exists() and not args.force:
        print(f"shop database: {args.path} (exists)")
        return
    seed(args.path, date.today())
    print(f"shop database: {args.path} (created with sample orders)")


if __name__ == "__main__":
    main()
