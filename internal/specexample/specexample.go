// Package specexample holds the two example calls of the pixel interaction
// guide, verbatim, for the tests of every stage.
package specexample

// The guide's example queries (the part after "?").
const (
	ItemClick = "application=a1s2d3&interaction=item_click&customer_id=388828042&visitor_id=09052708493180843610149618767541206783&session_id=E50D8936CE55AE890B6AAA13567A7EB6E3&item_id=101409&set_id=5048&set_item_ids=705845,676023,708919,708411&fm_session_id=8edaaf04-019e-4019-b97e-3797368a6b0d&response_uuid=1aie39-932f-2930-blf1-12031029323ja"
	NextClick = "application=a1s2d3&interaction=next_click&customer_id=388828042&visitor_id=09052708493180843610149618767541206783&session_id=E50D8936CE55AE890B6AAA13567A7EB6E3&set_id=5048&set_item_ids=705845,676023,708919,708411&fm_session_id=8edaaf04-019e-4019-b97e-3797368a6b0d"
	// Session is the examples' fm_session_id.
	Session = "8edaaf04-019e-4019-b97e-3797368a6b0d"
)
