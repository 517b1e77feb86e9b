"""Report queries: N+1 loops and whole-table reads, next to batched and paged ones."""

import sqlite3

PAGE_SIZE = 50


def order_lines(conn: sqlite3.Connection, orders):
    result = []
    for order in orders:
        lines = conn.execute("SELECT * FROM lines WHERE order_id = ?", (order["id"],)).fetchall()  # expect: performance.query-in-loop, security.parameterized-sql
        result.append((order, lines))
    return result


def customer_names(cur, invoices):
    names = {}
    for invoice in invoices:
        cur.execute("SELECT name FROM customers WHERE id = %s", (invoice.customer_id,))  # expect: performance.query-in-loop, security.parameterized-sql
        names[invoice.id] = cur.fetchone()[0]
    return names


def tags_for(conn, post_ids):
    return {pid: conn.execute("SELECT tag FROM tags WHERE post_id = ?", (pid,)).fetchall() for pid in post_ids}  # expect: performance.query-in-loop, security.parameterized-sql


def order_lines_batched(conn, orders):
    batch = orders[0]["batch"] if orders else None
    return conn.execute(  # expect: security.parameterized-sql
        "SELECT * FROM lines WHERE order_id IN (SELECT id FROM orders WHERE batch = ?)", (batch,)
    ).fetchall()


def insert_all(conn, rows):
    for row in rows:
        conn.execute("INSERT INTO audit (action) VALUES (?)", (row,))  # expect: security.parameterized-sql


def table_sizes(conn, tables):
    sizes = []
    for _table in tables:
        sizes.append(conn.execute("SELECT COUNT(*) FROM meta").fetchone()[0])
    return sizes


def all_orders(conn):
    return conn.execute("SELECT * FROM orders ORDER BY created_at DESC").fetchall()  # expect: performance.unpaginated-query


def all_customers(cur):
    cur.execute("SELECT id, name, email FROM customers")  # expect: performance.unpaginated-query
    return cur.fetchall()


def export_products(conn):
    sql = "SELECT * FROM products"
    return [dict(r) for r in conn.execute(sql)]  # expect: performance.unpaginated-query


def search_orders(conn, status=None, customer=None):
    query, params = "SELECT * FROM orders", []
    if status:
        query += " WHERE status = ?"
        params.append(status)
    rows = conn.execute(query + " ORDER BY id", params).fetchall()  # expect: performance.unpaginated-query
    return rows


def page_orders(conn, page):
    return conn.execute(  # expect: security.parameterized-sql
        "SELECT * FROM orders ORDER BY id LIMIT ? OFFSET ?", (PAGE_SIZE, page * PAGE_SIZE)
    ).fetchall()


def page_customers(conn, limit=None):
    query = "SELECT * FROM customers"
    if limit:
        query += " LIMIT ?"
    return conn.execute(query, (limit,) if limit else ()).fetchall()


def one_order(conn, order_id):
    return conn.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchall()  # expect: security.parameterized-sql


def order_count(conn):
    return conn.execute("SELECT COUNT(*) FROM orders").fetchall()


def first_order(conn):
    return conn.execute("SELECT * FROM orders ORDER BY id").fetchone()
