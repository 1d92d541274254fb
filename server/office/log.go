package office

import (
	"fmt"

	"onex/server"
)

// logWhat is the translation key of each kind of session log entry.
var logWhat = map[string]string{
	server.LogStart: "log.start", server.LogOverride: "log.override", server.LogIncident: "log.incident",
	server.LogPause: "log.pause", server.LogResume: "log.resume", server.LogExtraTime: "log.extra_time",
	server.LogForce: "log.force", server.LogEnd: "log.end",
}

// incidentTypes is the translation key of the incident types sites send.
var incidentTypes = map[string]string{
	"unlock": "log.incident_unlock", "downtime": "log.incident_downtime", "identity": "log.incident_identity", "misconduct": "log.incident_misconduct",
}

// LogText says in the view's language what a session log entry records:
// what happened, and for a forced submission why.
func (v *view) LogText(e server.LogEntry) string {
	switch e.What {
	case server.LogForced:
		return v.ForcedLabel(e.ForcedBy, "")
	case server.LogExtraTime:
		return fmt.Sprintf(v.T("log.extra_time"), e.ExtraMinutes)
	case server.LogOverride:
		return fmt.Sprintf(v.T("log.override"), v.T("attendance."+e.Status))
	case server.LogIncident:
		if key, ok := incidentTypes[e.Type]; ok {
			return v.T("log.incident") + " · " + v.T(key)
		}
		if e.Type != "" {
			return v.T("log.incident") + " · " + e.Type
		}
		return v.T("log.incident")
	}
	if key, ok := logWhat[e.What]; ok {
		return v.T(key)
	}
	return e.What // an event this central does not know: as the site named it
}

// ForcedText says why a candidate's submission was forced: by the proctor
// with the reason, at time-out, when the room ended, or, from a site that
// did not say, only that it was forced.
func (v *view) ForcedText(r server.Result) string { return v.ForcedLabel(r.ForcedBy, r.ForcedWhy) }

// ForcedLabel is ForcedText of a submission forced by by, for the reason why.
func (v *view) ForcedLabel(by, why string) string {
	switch by {
	case server.ForcedByProctor:
		if why == "" {
			return v.T("forced.proctor")
		}
		return fmt.Sprintf(v.T("forced.proctor_why"), why)
	case server.ForcedTimeOut:
		return v.T("forced.time_out")
	case server.ForcedRoomEnded:
		return v.T("forced.room_ended")
	}
	return v.T("forced.unknown")
}
