package spool_test

import (
	"context"
	"fmt"
	"os"

	"github.com/callscope/callscope/recording/spool"
)

func Example() {
	dir, _ := os.MkdirTemp("", "spool-example")
	defer os.RemoveAll(dir)
	sp, err := spool.Open(dir, spool.Options{})
	if err != nil {
		panic(err)
	}
	defer sp.Close()
	ctx := context.Background()
	ev := spool.Item{ID: "event-1", RecordingID: "rec-1", DocumentIDs: []string{"doc-0"}, Event: []byte(`{}`)}
	res, _ := sp.Put(ctx, ev, ev) // the second copy is a duplicate
	fmt.Println(res[0] == spool.Added, res[1] == spool.DuplicateID)
	it, _ := sp.Next(ctx)
	fmt.Println("working on", it.ID)
	sp.Complete(it.ID)
	fmt.Printf("%+v\n", sp.Stats().Done)
	// Output:
	// true true
	// working on event-1
	// 1
}
