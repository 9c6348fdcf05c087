//go:build webrtcvad

package tmpdeps

import _ "github.com/maxhawkins/go-webrtcvad"
