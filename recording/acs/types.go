package acs

import "time"

// DefaultAPIVersion is the Call Automation api-version the client sends.
const DefaultAPIVersion = "2025-06-15"

// Call locator kinds (CallLocatorKind).
const (
	LocatorServerCall = "serverCallLocator"
	LocatorGroupCall  = "groupCallLocator"
	LocatorRoomCall   = "roomCallLocator"
)

// Recording content, channel and format types as the REST API spells them.
const (
	ContentAudio      = "audio"
	ContentAudioVideo = "audioVideo"
	ChannelMixed      = "mixed"
	ChannelUnmixed    = "unmixed"
	FormatWav         = "wav"
	FormatMp3         = "mp3"
	FormatMp4         = "mp4"
)

// Storage kinds for ExternalStorage.RecordingStorageKind.
const (
	StorageACS  = "azureCommunicationServices"
	StorageBlob = "azureBlobStorage"
)

// Recording states (RecordingState).
const (
	StateActive   = "active"
	StateInactive = "inactive"
)

// CallLocator identifies the call to record. Exactly one of the ids matches
// Kind.
type CallLocator struct {
	Kind         string `json:"kind,omitempty"`
	ServerCallID string `json:"serverCallId,omitempty"`
	GroupCallID  string `json:"groupCallId,omitempty"`
	RoomID       string `json:"roomId,omitempty"`
}

// ServerCall returns a server call locator.
func ServerCall(id string) *CallLocator {
	return &CallLocator{Kind: LocatorServerCall, ServerCallID: id}
}

// GroupCall returns a group call locator.
func GroupCall(id string) *CallLocator { return &CallLocator{Kind: LocatorGroupCall, GroupCallID: id} }

// Identifier is a CommunicationIdentifierModel. Requests may carry only
// RawID; the typed sub-objects are optional.
type Identifier struct {
	Kind               string             `json:"kind,omitempty"`
	RawID              string             `json:"rawId,omitempty"`
	CommunicationUser  *CommunicationUser `json:"communicationUser,omitempty"`
	PhoneNumber        *PhoneNumber       `json:"phoneNumber,omitempty"`
	MicrosoftTeamsUser *TeamsUser         `json:"microsoftTeamsUser,omitempty"`
	MicrosoftTeamsApp  *TeamsApp          `json:"microsoftTeamsApp,omitempty"`
}

// CommunicationUser is CommunicationUserIdentifierModel.
type CommunicationUser struct {
	ID string `json:"id"`
}

// PhoneNumber is PhoneNumberIdentifierModel.
type PhoneNumber struct {
	Value       string `json:"value"`
	IsAnonymous bool   `json:"isAnonymous,omitempty"`
	AssertedID  string `json:"assertedId,omitempty"`
}

// TeamsUser is MicrosoftTeamsUserIdentifierModel.
type TeamsUser struct {
	UserID      string `json:"userId"`
	IsAnonymous bool   `json:"isAnonymous,omitempty"`
	Cloud       string `json:"cloud,omitempty"`
}

// TeamsApp is MicrosoftTeamsAppIdentifierModel.
type TeamsApp struct {
	AppID string `json:"appId"`
	Cloud string `json:"cloud,omitempty"`
}

// IdentifierFromRawID builds a request identifier from a raw id, filling
// the typed sub-object for ACS users ("8:acs:…") and phone numbers ("4:+…").
func IdentifierFromRawID(raw string) Identifier {
	id := Identifier{RawID: raw}
	switch {
	case len(raw) > 2 && raw[:2] == "4:":
		id.Kind = "phoneNumber"
		id.PhoneNumber = &PhoneNumber{Value: raw[2:]}
	case len(raw) > 6 && raw[:6] == "8:acs:":
		id.Kind = "communicationUser"
		id.CommunicationUser = &CommunicationUser{ID: raw}
	}
	return id
}

// ChannelAffinity pins a participant to a channel (0..4) of an unmixed
// recording.
type ChannelAffinity struct {
	Channel     *int       `json:"channel,omitempty"`
	Participant Identifier `json:"participant"`
}

// ExternalStorage is the bring-your-own-storage destination.
type ExternalStorage struct {
	RecordingStorageKind             string `json:"recordingStorageKind"`
	RecordingDestinationContainerURL string `json:"recordingDestinationContainerUrl,omitempty"`
}

// StartRequest is StartCallRecordingRequest. Set exactly one of
// CallLocator and CallConnectionID.
type StartRequest struct {
	CallLocator                     *CallLocator      `json:"callLocator,omitempty"`
	CallConnectionID                string            `json:"callConnectionId,omitempty"`
	RecordingStateCallbackURI       string            `json:"recordingStateCallbackUri,omitempty"`
	RecordingContentType            string            `json:"recordingContentType,omitempty"`
	RecordingChannelType            string            `json:"recordingChannelType,omitempty"`
	RecordingFormatType             string            `json:"recordingFormatType,omitempty"`
	AudioChannelParticipantOrdering []Identifier      `json:"audioChannelParticipantOrdering,omitempty"`
	ChannelAffinity                 []ChannelAffinity `json:"channelAffinity,omitempty"`
	PauseOnStart                    bool              `json:"pauseOnStart,omitempty"`
	ExternalStorage                 *ExternalStorage  `json:"externalStorage,omitempty"`
}

// RecordingState is RecordingStateResponse plus what the response headers
// said.
type RecordingState struct {
	RecordingID    string `json:"recordingId"`
	RecordingState string `json:"recordingState,omitempty"`
	RecordingKind  string `json:"recordingKind,omitempty"`
}

// StartOptions carries the repeatability headers of a start. The zero value
// generates them; callers that must survive a restart (the control state
// machine) persist and pass them so a resent start is recognised.
type StartOptions struct {
	RepeatabilityRequestID string    // a version 4 UUID
	FirstSent              time.Time // when the request was first created
}

// StartResult is the outcome of a start.
type StartResult struct {
	RecordingState
	StatusCode          int    `json:"-"` // 200 or 202
	RepeatabilityResult string `json:"-"` // "accepted", "rejected" or ""
	ResponseInfo        `json:"-"`
}

// ResponseInfo holds the diagnostic headers of a response, worth logging
// for support cases.
type ResponseInfo struct {
	ChainID  string // X-Microsoft-Skype-Chain-ID
	AzureRef string // X-Azure-Ref
}
