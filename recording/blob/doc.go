// Package blob reads recordings that ACS exported to a customer's Azure
// Blob Storage container (bring-your-own-storage), through azblob.
//
// The container layout (ACS docs, "Folder Structure for Call Recording"):
//
//	{YYYYMMDD}/{callId}/{first 8 of recordingId}-{guid}/{chunk}-acsmetadata.{documentId}.json
//	{YYYYMMDD}/{callId}/{first 8 of recordingId}-{guid}/{chunk}-audio{format}.{documentId}.{ext}
//
// Only the mp3 audio name is documented; any "audio<format>" suffix is
// accepted. List groups the blobs into recordings (one per third-level
// folder) and Download fetches a blob as a ranged, resumable stream into a
// file. Credentials: a SAS in the container URL, a storage account shared
// key (from a connection string), or azidentity's default credential chain.
// A missing blob is reported as an error wrapping os.ErrNotExist.
package blob
