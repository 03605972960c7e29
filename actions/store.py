"""The sample shop's database: orders, shipments, refunds, returns and stock, in SQLite.

SQLite calls block, so every public method runs its query in a worker thread: the action
server's event loop keeps serving other conversations meanwhile.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Optional, Tuple, TypeVar

T = TypeVar("T")


class ShopDatabaseMissing(RuntimeError):
    """The database file does not exist yet."""


@dataclass(frozen=True)
class Order:
    id: str
    email: str
    status: str  # processing | shipped | delivered | cancelled
    placed_on: date
    shipped_on: Optional[date]
    delivered_on: Optional[date]
    cancelled_on: Optional[date]
    address: str
    total_cents: int
    items: Tuple[str, ...]


@dataclass(frozen=True)
class Shipment:
    order_id: str
    carrier: str
    tracking_number: str
    last_event: str
    last_location: str
    eta: Optional[date]


@dataclass(frozen=True)
class Refund:
    order_id: str
    amount_cents: int
    status: str  # approved | paid
    approved_on: date
    paid_on: Optional[date]


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    stock: int
    price_cents: int
    restock_on: Optional[date]


@dataclass(frozen=True)
class ReturnRequest:
    rma: str
    order_id: str
    reason: str
    created_on: date


def _day(value: Optional[str]) -> Optional[date]:
    return date.fromisoformat(value) if value else None


class ShopStore:
    """Reads and changes the shop's data. Each call opens its own short-lived connection."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)

    async def order(self, order_id: str) -> Optional[Order]:
        return await self._run(self._order, order_id)

    async def shipment(self, order_id: str) -> Optional[Shipment]:
        return await self._run(self._shipment, order_id)

    async def refund(self, order_id: str) -> Optional[Refund]:
        return await self._run(self._refund, order_id)

    async def open_return(self, order_id: str) -> Optional[ReturnRequest]:
        return await self._run(self._open_return, order_id)

    async def product(self, name: str) -> Optional[Product]:
        return await self._run(self._product, name)

    async def cancel(self, order_id: str, today: date) -> bool:
        """Cancel an order that has not shipped; False when it was no longer possible."""
        return await self._run(self._cancel, order_id, today)

    async def change_address(self, order_id: str, address: str) -> bool:
        """Change the address of an order that has not shipped; False when too late."""
        return await self._run(self._change_address, order_id, address)

    async def create_return(self, order_id: str, reason: str, today: date) -> ReturnRequest:
        """Open a return, or give back the one already open for this order."""
        return await self._run(self._create_return, order_id, reason, today)

    # --- synchronous work, run in a thread -------------------------------------------------

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(work, *args)

    def _connect(self) -> sqlite3.Connection:
        if not self.db_path.exists():
            raise ShopDatabaseMissing(
                f"The shop database {self.db_path} does not exist: "
                "create it with `python -m actions.seed`."
            )
        connection = sqlite3.connect(self.db_path, timeout=5)
        connection.row_factory = sqlite3.Row
        return connection

    def _order(self, order_id: str) -> Optional[Order]:
        with self._connect() as db:
            row = db.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
            if row is None:
                return None
            items = db.execute(
                "SELECT p.name, i.quantity FROM order_items i JOIN products p ON p.sku = i.sku "
                "WHERE i.order_id = ? ORDER BY p.name",
                (order_id,),
            ).fetchall()
        return Order(
            id=row["id"],
            email=row["email"],
            status=row["status"],
            placed_on=date.fromisoformat(row["placed_on"]),
            shipped_on=_day(row["shipped_on"]),
            delivered_on=_day(row["delivered_on"]),
            cancelled_on=_day(row["cancelled_on"]),
            address=row["address"],
            total_cents=row["total_cents"],
            items=tuple(_item_label(item["name"], item["quantity"]) for item in items),
        )

    def _shipment(self, order_id: str) -> Optional[Shipment]:
        with self._connect() as db:
            row = db.execute("SELECT * FROM shipments WHERE order_id = ?", (order_id,)).fetchone()
        if row is None:
            return None
        return Shipment(
            order_id=row["order_id"],
            carrier=row["carrier"],
            tracking_number=row["tracking_number"],
            last_event=row["last_event"],
            last_location=row["last_location"],
            eta=_day(row["eta"]),
        )

    def _refund(self, order_id: str) -> Optional[Refund]:
        with self._connect() as db:
            row = db.execute("SELECT * FROM refunds WHERE order_id = ?", (order_id,)).fetchone()
        if row is None:
            return None
        return Refund(
            order_id=row["order_id"],
            amount_cents=row["amount_cents"],
            status=row["status"],
            approved_on=date.fromisoformat(row["approved_on"]),
            paid_on=_day(row["paid_on"]),
        )

    def _open_return(self, order_id: str) -> Optional[ReturnRequest]:
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM returns WHERE order_id = ? ORDER BY created_on DESC LIMIT 1",
                (order_id,),
            ).fetchone()
        return _return_from_row(row) if row else None

    def _product(self, name: str) -> Optional[Product]:
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM products WHERE lower(name) = lower(?)", (name.strip(),)
            ).fetchone()
        if row is None:
            return None
        return Product(
            sku=row["sku"],
            name=row["name"],
            stock=row["stock"],
            price_cents=row["price_cents"],
            restock_on=_day(row["restock_on"]),
        )

    def _cancel(self, order_id: str, today: date) -> bool:
        with self._connect() as db:
            changed = db.execute(
                "UPDATE orders SET status = 'cancelled', cancelled_on = ? "
                "WHERE id = ? AND status = 'processing'",
                (today.isoformat(), order_id),
            ).rowcount
        return changed == 1

    def _change_address(self, order_id: str, address: str) -> bool:
        with self._connect() as db:
            changed = db.execute(
                "UPDATE orders SET address = ? WHERE id = ? AND status = 'processing'",
                (address, order_id),
            ).rowcount
        return changed == 1

    def _create_return(self, order_id: str, reason: str, today: date) -> ReturnRequest:
        with self._connect() as db:
            # BEGIN IMMEDIATE takes the write lock first, so two sessions asking at once
            # cannot both open a return for the same order.
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT * FROM returns WHERE order_id = ?", (order_id,)).fetchone()
            if row is not None:
                return _return_from_row(row)
            count = db.execute("SELECT count(*) FROM returns").fetchone()[0]
            rma = f"R-{order_id}-{count + 1:03d}"
            db.execute(
                "INSERT INTO returns (rma, order_id, reason, created_on) VALUES (?, ?, ?, ?)",
                (rma, order_id, reason, today.isoformat()),
            )
        return ReturnRequest(rma=rma, order_id=order_id, reason=reason, created_on=today)


def _item_label(name: str, quantity: int) -> str:
    return name if quantity == 1 else f"{quantity} x {name}"


def _return_from_row(row: sqlite3.Row) -> ReturnRequest:
    return ReturnRequest(
        rma=row["rma"],
        order_id=row["order_id"],
        reason=row["reason"],
        created_on=date.fromisoformat(row["created_on"]),
    )
