const recentEvents = []; // expect: durability.unbounded-collection
const seen = new Set();
const queue = [];
const sessions = new Map(); // expect: durability.in-memory-state
const ROUTES = ["/", "/health"];
const listeners = new Map();

function record(event) {
  recentEvents.push({ at: Date.now(), ...event });
}

function markSeen(id) {
  seen.add(id);
  setTimeout(() => seen.delete(id), 60000);
}

function enqueue(job) {
  queue.push(job);
}

function dequeue() {
  return queue.shift();
}

function login(sid, user) {
  sessions.set(sid, user);
}

function whoami(sid) {
  return sessions.get(sid);
}

function logout(sid) {
  sessions.delete(sid);
}

function on(name, fn) {
  listeners.set(name, fn);
}

class Batcher {
  constructor(flush) {
    this.items = [];
    this.flush = flush;
  }

  add(item) {
    this.items.push(item);
    if (this.items.length >= 100) {
      this.flush(this.items.splice(0));
    }
  }
}

class Tracker {
  constructor() {
    this.visits = {}; // expect: durability.unbounded-collection
  }

  visit(page) {
    this.visits[page] = (this.visits[page] || 0) + 1;
  }
}

class History {
  steps = []; // expect: durability.unbounded-collection

  push(step) {
    this.steps.push(step);
  }

  last() {
    return this.steps[this.steps.length - 1];
  }
}

class Window {
  constructor() {
    this.samples = [];
  }

  add(x) {
    this.samples.push(x);
    this.samples = this.samples.slice(-50);
  }
}

module.exports = { record, markSeen, enqueue, dequeue, login, whoami, logout, on, Batcher, Tracker, History, Window, ROUTES };
