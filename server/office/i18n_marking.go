package office

import "maps"

// markingMessages are the marking engineer's keys (issue 15): the lead role.
var markingMessages = map[string][2]string{
	"role.lead": {"题组长", "lead marker"},
}

func init() { maps.Copy(messages, markingMessages) }
