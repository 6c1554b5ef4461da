"""The rules engine and the integrity score, a line-by-line port of daemon/src/rules
(mod.rs, episode.rs, objects.rs, attention.rs) and daemon/src/report/score.rs. Times are
integer nanoseconds, as Rust's Duration, so strict thresholds compare the same way.

Faces and objects are the dicts of detectors.py / face_path.py (float32 values).
"""

import math
import uuid

import numpy as np

F = np.float32

def ns(seconds):
    return int(round(seconds * 1e9)) if (math.isfinite(seconds) and seconds > 0) else 0


class Episode:
    def __init__(self, kind):
        self.kind = kind
        self.state = "idle"
        self.onset = None
        self.id = None
        self.clear_since = None
        self.details = {}

    def is_active(self):
        return self.state == "active"

    def holds_longer_than(self, at, more_than, note=None):
        if self.state == "idle":
            self.state, self.onset, self.details = "pending", at, {}
        elif self.state == "active":
            self.clear_since = None
        if note is not None:
            note(self.details)
        if self.state != "pending":
            return None
        if max(at - self.onset, 0) > more_than:
            return self._activate(self.onset, None)
        return None

    def holds_since(self, onset, details):
        if self.state == "active":
            self.clear_since = None
            return None
        return self._activate(onset, details)

    def seen_again(self):
        if self.state == "active":
            self.clear_since = None

    def clear_at(self, at):
        if self.state == "pending":
            self.state = "idle"
        elif self.state == "active" and self.clear_since is None:
            self.clear_since = at

    def end_if_clear_for(self, now, clear_after):
        if self.state != "active" or self.clear_since is None:
            return None
        if max(now - self.clear_since, 0) >= clear_after:
            return self._end(self.clear_since)
        return None

    def drop_pending(self):
        if self.state == "pending":
            self.state = "idle"

    def close(self, at):
        if self.state == "pending":
            self.state = "idle"
            return None
        if self.state == "active":
            return self._end(self.clear_since if self.clear_since is not None else at)
        return None

    def _activate(self, onset, details):
        if details is None:
            details = self.details if self.state == "pending" else {}
        self.state, self.onset, self.clear_since, self.details = "active", onset, None, details
        self.id = str(uuid.uuid4())
        return {"id": self.id, "kind": self.kind, "phase": "start", "started_at_s": onset / 1e9,
                "ended_at_s": None, "details": dict(details)}

    def _end(self, ended_at):
        ev = {"id": self.id, "kind": self.kind, "phase": "end", "started_at_s": self.onset / 1e9,
              "ended_at_s": max(ended_at, self.onset) / 1e9, "details": dict(self.details)}
        self.state, self.onset, self.clear_since, self.details, self.id = "idle", None, None, {}, None
        return ev


def note_sighting(details, seen):
    if details.get("best_score") is None or seen[2] > details["best_score"]:
        details["best_score"] = seen[2]
        details["label"] = seen[1]


class ObjectRule:
    def __init__(self, kind, cls, window_s, min_share, min_hits):
        self.cls = cls
        self.episode = Episode(kind)
        self.window = []  # (at_ns, sighting or None), newest last
        self.window_ns = ns(window_s)
        self.min_share = min(max(float(min_share), 1e-16), 1.0)
        self.min_hits = max(int(min_hits), 1)
        self.interval = None  # ns between the two newest object frames

    def observe(self, at, objects):
        best = None
        for o in objects:
            if o["class"] == self.cls and (best is None or o["score"] >= best[2]):
                best = (at, o["label"], o["score"])
        if self.window:
            self.interval = max(at - self.window[-1][0], 0)
        span = max(self.window_ns, 0 if self.interval is None else self.interval + self.interval // 2)
        while self.window and self.window[0][0] + span <= at:
            self.window.pop(0)
        self.window.append((at, best))
        if self.episode.is_active():
            if best is not None:
                self.episode.seen_again()
                note_sighting(self.episode.details, best)
            else:
                self.episode.clear_at(at)
            return None
        if not self.is_present():
            return None
        seen = self.sightings()
        details = {}
        for s in seen:
            note_sighting(details, s)
        return self.episode.holds_since(seen[0][0] if seen else at, details)

    def end_if_clear_for(self, now, clear_after):
        if self.is_present():
            return None
        end = self.episode.end_if_clear_for(now, clear_after)
        if end is not None:
            self.window.clear()
            self.interval = None
        return end

    def close(self, at):
        self.window.clear()
        self.interval = None
        return self.episode.close(at)

    def sightings(self):
        return [s for _, s in self.window if s is not None]

    def hits_needed(self):
        fit = self.min_hits if not self.interval else int(self.window_ns / self.interval + 1e-9)
        return min(self.min_hits, max(fit, 2))

    def is_present(self):
        hits = len(self.sightings())
        return hits >= self.hits_needed() and hits + 1e-9 >= self.min_share * len(self.window)


def in_seat_zone(box, zone):
    """attention.rs: the box centre lies inside [rules] seat_zone."""
    cx, cy = (box[0] + box[2]) / F(2), (box[1] + box[3]) / F(2)
    return zone[0] <= cx <= zone[2] and zone[1] <= cy <= zone[3]


def area(box):
    return max(box[2] - box[0], F(0)) * max(box[3] - box[1], F(0))


class Attention:
    """Pure functions of one frame (attention.rs), with the config's thresholds as float32."""

    def __init__(self, rules):
        self.zone = [F(v) for v in rules["seat_zone"]]
        self.max_yaw, self.max_pitch = F(rules["max_yaw_deg"]), F(rules["max_pitch_deg"])
        self.max_sight_yaw = F(rules["max_sight_yaw_deg"])
        self.eyes_rule = float(rules["eyes_away_after_s"]) > 0.0

    def seat_faces(self, faces):
        return [f for f in faces if in_seat_zone(f["box"], self.zone)]

    def person_in_seat(self, objects):
        return any(o["class"] == "person" and in_seat_zone(o["box"], self.zone) for o in objects)

    def candidate_face(self, faces):
        best = None
        for f in self.seat_faces(faces):  # max_by keeps the last of equal areas
            if best is None or area(f["box"]) >= area(best["box"]):
                best = f
        return best

    def face_looks_away(self, f):
        return bool(f.get("pose_unknown")) or abs(f["yaw_deg"]) > self.max_yaw or abs(f["pitch_deg"]) > self.max_pitch

    def eyes_look_away(self, f):
        g = f.get("gaze")
        return self.eyes_rule and g is not None and abs(f["yaw_deg"] + g["x"] * F(30.0)) > self.max_sight_yaw

    def mark_faces(self, faces):
        for f in faces:
            f["looking_away"] = self.face_looks_away(f) or self.eyes_look_away(f)

    def attention(self, faces, person_in_view):
        face = self.candidate_face(faces)
        if face is not None:
            if self.face_looks_away(face):
                return "looking_away"
            if self.eyes_look_away(face):
                return "eyes_away"
            return "facing"
        return "looking_away" if person_in_view else "absent"


class RulesEngine:
    def __init__(self, rules):
        self.cfg = rules
        self.judge = Attention(rules)
        self.no_face_after = ns(rules["no_face_after_s"])
        self.looking_away_after = ns(rules["looking_away_after_s"])
        self.eyes_away_after = ns(rules["eyes_away_after_s"])
        self.multiple_faces_after = ns(rules["multiple_faces_after_s"])
        self.camera_lost_after = ns(rules["camera_lost_after_s"])
        self.clear_after = ns(rules["clear_after_s"])
        self.last_frame_at = None
        self.person_in_view = False
        self.previous_objects_at = 0
        self.camera_lost = Episode("camera_lost")
        self.no_face = Episode("no_face")
        self.looking_away = Episode("looking_away")
        self.eyes_away = Episode("eyes_away")
        self.multiple_faces = Episode("multiple_faces")
        self.objects = [ObjectRule(k, c, rules["object_window_s"], rules["object_min_share"],
                                   rules["object_min_hits"])
                        for k, c in (("phone_detected", "phone"), ("notes_detected", "notes"), ("device_detected", "device"))]

    def on_detections(self, at, faces, objects, objects_at=None):
        """One analysed frame at `at` ns; `objects` None when object detection did not run,
        `objects_at` the time of the frame they were found on when that is an earlier one."""
        due = []
        add = lambda ev: ev is not None and due.append(ev)
        if self.last_frame_at is not None:
            at = max(at, self.last_frame_at)
            if at - self.last_frame_at > self.camera_lost_after:
                self._camera_outage(self.last_frame_at, due)
        self.camera_lost.clear_at(at)
        self.last_frame_at = at
        if objects is not None:
            self.person_in_view = self.judge.person_in_seat(objects)
            seen_at = min(max(at if objects_at is None else objects_at, self.previous_objects_at), at)
            self.previous_objects_at = seen_at
            for rule in self.objects:
                add(rule.observe(seen_at, objects))
        attention = self.judge.attention(faces, self.person_in_view)
        face_count = len(self.judge.seat_faces(faces))

        def note_faces(details):
            details["max_faces"] = max(details.get("max_faces", face_count), face_count)

        for episode, holds, more_than, note in (
            (self.no_face, attention == "absent", self.no_face_after, None),
            (self.looking_away, attention == "looking_away", self.looking_away_after, None),
            (self.eyes_away, attention == "eyes_away", self.eyes_away_after, None),
            (self.multiple_faces, face_count >= 2, self.multiple_faces_after, note_faces),
        ):
            if holds:
                add(episode.holds_longer_than(at, more_than, note))
            else:
                episode.clear_at(at)
                add(episode.end_if_clear_for(at, self.clear_after))
        for rule in self.objects:
            add(rule.end_if_clear_for(at, self.clear_after))
        add(self.camera_lost.end_if_clear_for(at, self.clear_after))
        return due

    def on_idle(self, now):
        due = []
        last = self.last_frame_at or 0
        if max(now - last, 0) > self.camera_lost_after:
            self._camera_outage(last, due)
        else:
            ev = self.camera_lost.end_if_clear_for(now, self.clear_after)
            if ev is not None:
                due.append(ev)
        return due

    def finish(self, at):
        if self.last_frame_at is not None:
            at = max(at, self.last_frame_at)
        due = self.on_idle(at)
        for ep in (self.camera_lost, self.no_face, self.looking_away, self.eyes_away, self.multiple_faces):
            ev = ep.close(at)
            if ev is not None:
                due.append(ev)
        for rule in self.objects:
            ev = rule.close(at)
            if ev is not None:
                due.append(ev)
        self.person_in_view = False
        return due

    def _camera_outage(self, last_frame_at, due):
        if self.camera_lost.is_active():
            self.camera_lost.seen_again()
        else:
            ev = self.camera_lost.holds_since(last_frame_at, {})
            if ev is not None:
                due.append(ev)
        for ep in (self.no_face, self.looking_away, self.eyes_away):
            ev = ep.close(last_frame_at)
            if ev is not None:
                due.append(ev)
        self.multiple_faces.drop_pending()
        self.person_in_view = False


KIOSK_FAULTS = ("camera_lost", "recording_stopped", "daemon_down", "store_recovered")
# EventKind order (event.rs): the report sorts by onset, then kind; the score sums per kind in this order.
KIND_ORDER = ["no_face", "looking_away", "eyes_away", "multiple_faces", "phone_detected", "notes_detected",
              "device_detected", "camera_lost", "recording_stopped", "daemon_down", "store_recovered", "logged"]


def integrity_score(events, deductions):
    """100 - sum of per-kind deductions (capped), kiosk faults never charged (report/score.rs)."""
    per_kind = {}
    for e in events:
        if e["kind"] in KIOSK_FAULTS:
            continue
        count, seconds = per_kind.get(e["kind"], (0, 0.0))
        per_kind[e["kind"]] = (count + 1, seconds + max(e["duration_s"], 0.0))
    # Rust's round() takes halves away from zero; the points are never negative.
    hundredths = lambda p: math.floor(p * 100.0 + 0.5) / 100.0
    total = 0.0
    for kind, (count, seconds) in sorted(per_kind.items(), key=lambda kv: KIND_ORDER.index(kv[0])):
        per_event, per_second, cap = deductions.get(kind, (0.0, 0.0, 0.0))
        raw = per_event * count + per_second * seconds
        total += hundredths(cap if (cap > 0 and raw > cap) else raw)
    return hundredths(max(100.0 - hundredths(total), 0.0))


