"""ORM access patterns (SQLAlchemy and Django style)."""

from sqlalchemy import select


def authors_of(session, posts):
    out = []
    for post in posts:
        out.append(session.get(Author, post.author_id))  # expect: performance.query-in-loop
    return out


def comments_of(posts):
    return [Comment.objects.filter(post_id=p.id) for p in posts]  # expect: performance.query-in-loop


def owner_names(session, projects):
    names = []
    for project in projects:
        owner = session.query(User).filter(User.id == project.owner_id).one()  # expect: performance.query-in-loop
        names.append(owner.name)
    return names


def all_users(session):
    return session.query(User).all()  # expect: performance.unpaginated-query


def every_project(session):
    return session.scalars(select(Project)).all()  # expect: performance.unpaginated-query


def list_articles():
    return [a.title for a in Article.objects.all()]  # expect: performance.unpaginated-query


def active_users(session):
    return session.query(User).filter(User.active.is_(True)).all()


def first_users(session):
    return session.query(User).order_by(User.id).limit(20).all()


def recent_projects(session):
    return session.scalars(select(Project).where(Project.archived.is_(False)).limit(50)).all()


def article_page(page):
    return Article.objects.all()[page * 20 : (page + 1) * 20]


def users_by_ids(session, ids):
    return session.query(User).filter(User.id.in_(ids)).all()


class Author:
    pass


class Comment:
    objects = None


class User:
    pass


class Project:
    pass


class Article:
    objects = None
