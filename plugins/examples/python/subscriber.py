#!/usr/bin/env python3
"""A zhiban subscriber in Python, written from docs/PROTOCOL.md alone.

It follows the bus without losing or repeating an event: subscribe to
everything, replay from the saved cursor until caught up, then read live
events, filling any gap (a seq jump, or a heartbeat naming a newer seq) by
replay; the cursor is saved (atomically) only after an event was handled.

Needs Debian's python3-zmq and python3-protobuf, and protoc
(protobuf-compiler) to generate the message classes from proto/ on first run.

  plugins/examples/python/subscriber.py [--pub tcp://127.0.0.1:7601]
      [--replay tcp://127.0.0.1:7602] [--cursor FILE] [--topic PREFIX]...
      [--until-seq N] [--key FILE --server-key FILE] [--ctl ENDPOINT]

With --key (this subscriber's key file, from `zhibanctl key create NAME
--role plugin`) and --server-key (zhiband's zhiband.pub) it speaks CURVE, as
a zhiband on TCP requires (docs/PROTOCOL.md, "Authentication").

Prints one line per event: "<seq> <topic> <id> <center_id>". With --ctl
(zhiband's ctl endpoint) it also prints, indented below, how to reach each
staff member the event names: events carry no phone numbers or WeCom ids,
so it asks zhiband's contact query with its own key (role plugin), for that
event, keeps the answers, and forgets a person on their staff.* event
(docs/PROTOCOL.md, "Contacts"). A lookup that fails is tried again; the
cursor does not pass the event until it succeeds.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import tomllib

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "..", "proto"))


def load_messages(cache):
    """Generates zhiban/v1/*_pb2.py into `cache` (once) and imports them."""
    stamp = os.path.join(cache, "zhiban", "v1", "events_pb2.py")
    protos = [os.path.join(PROTO_DIR, "zhiban", "v1", f) for f in sorted(os.listdir(os.path.join(PROTO_DIR, "zhiban", "v1")))
              if f.endswith(".proto")]
    if not os.path.exists(stamp) or any(os.path.getmtime(p) > os.path.getmtime(stamp) for p in protos):
        os.makedirs(cache, exist_ok=True)
        subprocess.run(["protoc", f"-I{PROTO_DIR}", f"--python_out={cache}"] + protos, check=True)
    sys.path.insert(0, cache)
    from zhiban.v1 import bus_pb2, ctl_pb2, events_pb2  # noqa: E402
    return bus_pb2, ctl_pb2, events_pb2


class Cursor:
    """The first seq not yet handled, saved atomically (write + fsync + rename)."""

    def __init__(self, path):
        self.path = path
        self.next = 1
        if path and os.path.exists(path):
            with open(path) as f:
                self.next = int(f.read().strip() or 1)

    def advance(self, seq):
        self.next = seq + 1
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(self.next))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def staff_ids(msg, out):
    """The ids of every zhiban.v1.Staff in `msg`, in field order."""
    if msg.DESCRIPTOR.full_name == "zhiban.v1.Staff":
        if msg.id and msg.id not in out:
            out.append(msg.id)
        return out
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        for m in (value if field.label == field.LABEL_REPEATED else [value]):
            staff_ids(m, out)
    return out


class Contacts:
    """How to reach staff members, asked of zhiband's contact query and cached."""

    def __init__(self, follower, endpoint, ctl_pb2):
        self.follower, self.endpoint, self.ctl = follower, endpoint, ctl_pb2
        self.cache = {}
        self.sock = None

    def observe(self, event):
        """A staff.* event: that person is asked again next time."""
        which = event.WhichOneof("body")
        if which in ("staff_added", "staff_updated", "staff_removed"):
            self.cache.pop(getattr(event, which).staff.id, None)

    def lookup(self, ids, seq):
        """Fills the cache for `ids`, for event `seq`; raises on failure."""
        if self.sock is None:
            self.sock = self.follower.ctx.socket(zmq.DEALER)
            self.sock.setsockopt(zmq.LINGER, 0)
            self.sock.setsockopt(zmq.RCVTIMEO, 10000)
            self.follower.secure(self.sock, self.endpoint)
            self.sock.connect(self.endpoint)
        req = self.ctl.CtlRequest(request_id=str(seq))
        req.contact_query.staff_ids.extend(ids)
        req.contact_query.event_seq = seq
        try:
            self.sock.send_multipart([b"", req.SerializeToString()])
            frames = self.sock.recv_multipart()
        except zmq.Again:
            self.sock.close()
            self.sock = None  # a late answer must not be taken for the next question's
            raise RuntimeError(f"no answer from zhiband at {self.endpoint}")
        reply = self.ctl.CtlReply()
        reply.ParseFromString(frames[-1])
        if reply.HasField("error"):
            raise RuntimeError(f"contact lookup refused: {reply.error.message}")
        for c in reply.contact_query.contacts:
            self.cache[c.staff_id] = c
        for i in reply.contact_query.missing_ids:
            self.cache[i] = self.ctl.StaffContact(staff_id=i)

    def resolve(self, ids, seq):
        """The contacts of `ids`, asking for those not cached; retried with backoff."""
        missing = [i for i in ids if i not in self.cache]
        wait = 0.2
        while missing:
            try:
                self.lookup(missing, seq)
                break
            except RuntimeError as e:
                if self.follower.stopping:
                    raise
                print(f"# {e}; again in {wait:.1f} s", file=sys.stderr, flush=True)
                time.sleep(wait)
                wait = min(wait * 2, 10)
        return [self.cache[i] for i in ids]


class Follower:
    def __init__(self, args, bus_pb2, events_pb2, ctl_pb2=None):
        self.args, self.bus, self.events = args, bus_pb2, events_pb2
        self.ctx = zmq.Context()
        self.curve = None
        if args.key:
            with open(args.key, "rb") as f:
                me = tomllib.load(f)
            with open(args.server_key, "rb") as f:
                server = tomllib.load(f)["public-key"]
            self.curve = (server.encode(), me["public-key"].encode(), me["secret-key"].encode())
        self.cursor = Cursor(args.cursor)
        self.stopping = False
        self.contacts = Contacts(self, args.ctl, ctl_pb2) if args.ctl else None

    def handle(self, event):
        """Handles one event in order; everything else is bookkeeping."""
        if event.seq < self.cursor.next:
            return  # a duplicate: replayed already
        if self.contacts:
            self.contacts.observe(event)
        if not self.args.topic or any(event.topic.startswith(p) for p in self.args.topic):
            lines = [f"{event.seq} {event.topic} {event.id} {event.center_id}"]
            which = event.WhichOneof("body")
            if self.contacts and which:
                ids = staff_ids(getattr(event, which), [])
                for c in self.contacts.resolve(ids, event.seq) if ids else []:
                    lines.append(f"  {c.staff_id} {c.name} {c.phone} {c.wecom_user_id}")
            print("\n".join(lines), flush=True)
        self.cursor.advance(event.seq)
        if self.args.until_seq and event.seq >= self.args.until_seq:
            self.stopping = True

    def secure(self, sock, endpoint):
        """CURVE on tcp:// when we hold a key; ipc:// is the file system's business."""
        if self.curve and endpoint.startswith("tcp://"):
            sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = self.curve

    def replay(self):
        """Replays from the cursor until caught up (PROTOCOL.md "Replay")."""
        dealer = self.ctx.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.setsockopt(zmq.RCVTIMEO, 10000)
        self.secure(dealer, self.args.replay)
        dealer.connect(self.args.replay)
        try:
            while not self.stopping:
                req = self.bus.ReplayRequest(from_seq=self.cursor.next)
                dealer.send_multipart([b"", req.SerializeToString()])
                while True:
                    frames = dealer.recv_multipart()  # raises zmq.Again on timeout
                    reply = self.bus.ReplayReply()
                    reply.ParseFromString(frames[-1])
                    which = reply.WhichOneof("kind")
                    if which == "chunk":
                        for e in reply.chunk.events:
                            self.handle(e)
                    elif which == "end":
                        break
                    elif reply.error.code == 6:  # RESOURCE_EXHAUSTED (types.proto)
                        time.sleep(1)  # zhiband's replay is busy: ask again
                        break
                    else:
                        raise RuntimeError(f"replay refused: {reply}")
                if which != "end":
                    continue
                if reply.end.next_seq > reply.end.last_seq:
                    return  # caught up
        finally:
            dealer.close()

    def decode(self, frames):
        """The events of one PUB message: [topic][Event], or [topic]["run"][EventRun]."""
        try:
            if len(frames) == 2:
                event = self.events.Event()
                event.ParseFromString(frames[1])
                return [event]
            if len(frames) == 3 and frames[1] == b"run":
                run = self.bus.EventRun()
                run.ParseFromString(frames[2])
                return list(run.events)
        except Exception:
            pass
        return []  # not ours

    def run(self):
        sub = self.ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.RCVHWM, 1000000)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")  # everything: a seq jump is then always a gap
        self.secure(sub, self.args.pub)
        sub.connect(self.args.pub)
        self.replay()  # after subscribing, so nothing published meanwhile is lost
        poller = zmq.Poller()
        poller.register(sub, zmq.POLLIN)
        while not self.stopping:
            if not poller.poll(200):
                continue
            for event in self.decode(sub.recv_multipart()):
                if event.WhichOneof("body") == "heartbeat":
                    if event.heartbeat.last_seq >= self.cursor.next:
                        self.replay()  # the newest events never reached us
                    continue
                if event.seq > self.cursor.next:
                    self.replay()  # a gap
                self.handle(event)
        sub.close()
        if self.contacts and self.contacts.sock is not None:
            self.contacts.sock.close()  # every socket closed, or term() waits for it
        self.ctx.term()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pub", default="tcp://127.0.0.1:7601")
    p.add_argument("--replay", default="tcp://127.0.0.1:7602")
    p.add_argument("--cursor", help="file keeping the cursor across runs")
    p.add_argument("--topic", action="append", help="print only topics starting with this")
    p.add_argument("--until-seq", type=int, default=0, help="exit after this seq")
    p.add_argument("--key", help="this subscriber's CURVE key file (zhibanctl key create)")
    p.add_argument("--server-key", help="zhiband's public key file (<data_dir>/zhiband.pub)")
    p.add_argument("--ctl", help="zhiband's ctl endpoint: look up how to reach the staff each event names")
    p.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), f"zhiban-py-{os.getuid()}"),
                   help="where the generated message classes go")
    args = p.parse_args()
    if bool(args.key) != bool(args.server_key):
        p.error("--key and --server-key go together")
    bus_pb2, ctl_pb2, events_pb2 = load_messages(args.cache)
    follower = Follower(args, bus_pb2, events_pb2, ctl_pb2)

    def stop(*_):
        follower.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    follower.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
