package login

// State is where a machine stands. Both machines draw from one list so that
// traces of the two devices line up; each uses only its own states (see the
// package documentation for the diagrams).
type State uint8

// The states. Handshake states are shared by both machines; the rest belong
// to the new device (N) or the existing device (E) as marked.
const (
	StateIdle            State = iota // not started
	StateCreating                     // G: POST create in flight
	StateWaitingInitiate              // G: QR shown, polling for LoginInitiate
	StateSendingOk                    // G: PUT LoginOk in flight
	StateWaitingScan                  // S: waiting for the user to scan
	StateReadingSession               // S: first GET of the session
	StateSendingInitiate              // S: PUT LoginInitiate in flight
	StateWaitingOk                    // S: polling for LoginOk

	StateWaitingProtocols  // N (G): polling for m.login.protocols
	StateWaitingCheckCode  // G: waiting for the user to type the check code
	StateDiscovering       // N: auth metadata / issuer discovery
	StateRegistering       // N: dynamic client registration
	StateAuthorizing       // N: device authorization request
	StateSendingProtocol   // N: PUT m.login.protocol in flight
	StateWaitingAccepted   // N: polling for m.login.protocol_accepted
	StatePollingToken      // N: polling the token endpoint
	StateWhoami            // N: GET whoami
	StateConfirmingAccount // N: asking the user about the account
	StateSendingSuccess    // N: PUT m.login.success in flight
	StateWaitingSecrets    // N: polling for m.login.secrets
	StateUploadingKeys     // N: POST keys/upload
	StateConnectingBackup  // N: GET room_keys/version, checking the backup secret

	StateSendingProtocols // E (S): PUT m.login.protocols in flight
	StateWaitingProtocol  // E: polling for m.login.protocol
	StateCheckingDevice   // E: GET /devices/{id}, expecting 404
	StateOpeningBrowser   // E: browser asked to open the verification URI
	StateWaitingConfirm   // E: waiting for the user to confirm the browser step
	StateSendingAccepted  // E: PUT m.login.protocol_accepted in flight
	StateWaitingSuccess   // E: polling for m.login.success
	StateWaitingDevice    // E: polling GET /devices/{id} for 200
	StateDone             // terminal: success
	StateFailed           // terminal: failure

	// Added after the terminal states, so that earlier states keep their
	// numbers in traces.
	StateFetchingIssuer // E: GET auth_metadata for the provider's host (open_verification_uri https-same-host)
	StateSendingProof   // N: PUT m.login.proof_of_possession in flight
	StateQueryingKeys   // E: whoami and POST keys/query, then the proof of possession is checked
	StatePublishingKeys // N: POST keys/upload of its self-signed device keys, before the proof
	numStates
)

var stateNames = [numStates]string{"idle", "creating", "waiting-initiate", "sending-ok", "waiting-scan",
	"reading-session", "sending-initiate", "waiting-ok", "waiting-protocols", "waiting-check-code",
	"discovering", "registering", "authorizing", "sending-protocol", "waiting-accepted", "polling-token",
	"whoami", "confirming-account", "sending-success", "waiting-secrets", "uploading-keys", "connecting-backup",
	"sending-protocols", "waiting-protocol", "checking-device", "opening-browser", "waiting-confirm",
	"sending-accepted", "waiting-success", "waiting-device", "done", "failed",
	"fetching-issuer", "sending-proof", "querying-keys", "publishing-keys"}

// String names the state as transcripts show it.
func (s State) String() string { return nameOf(stateNames[:], uint8(s), "State") }

// Terminal reports whether the machine has ended.
func (s State) Terminal() bool { return s == StateDone || s == StateFailed }
